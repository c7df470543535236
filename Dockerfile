# syntax=docker/dockerfile:1.7
# Base images are pinned by digest (the multi-arch index digest, so every platform resolves), so a
# rebuild of the same commit gets the same bases and a retagged upstream image cannot slip in.
# To move one: `docker buildx imagetools inspect <image:tag>` prints the index digest ("Digest:");
# replace the tag and digest together (Dependabot's docker ecosystem does the same).

# Build: compile TypeScript with the dev toolchain, on the build machine's own platform: its output
# is the same JavaScript for every architecture, so a multi-arch build (docs/operating/deploying.md,
# "Building and publishing the image") compiles once instead of once per architecture under emulation.
FROM --platform=$BUILDPLATFORM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.js ./scripts/
COPY src ./src
RUN npm run build

# Runtime dependencies only; the node devDependency and the toolchain stay behind.
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# tini as PID 1: forwards SIGTERM to Node and reaps zombies. The static build needs no libc.
FROM debian:bookworm-slim@sha256:7b140f374b289a7c2befc338f42ebe6441b7ea838a042bbd5acbfca6ec875818 AS tini
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*

FROM gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a
LABEL org.opencontainers.image.title="ecs-scheduler" \
      org.opencontainers.image.description="Kubernetes controller that runs Amazon ECS tasks on a schedule or when an SQS queue fills" \
      org.opencontainers.image.source="https://github.com/ecs-scheduler/ecs-scheduler" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0"
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY crds ./crds
COPY --from=tini /usr/bin/tini-static /tini
USER 65532:65532
ENV NODE_ENV=production
EXPOSE 8080 8081
ENTRYPOINT ["/tini", "--", "/nodejs/bin/node", "/app/bin/ecs-scheduler.js"]
CMD ["run"]
