# syntax=docker/dockerfile:1.7
# Build: compile TypeScript with the dev toolchain.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime dependencies only; the node devDependency and the toolchain stay behind.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM gcr.io/distroless/nodejs24-debian12:nonroot
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
# distroless has no shell and no tini; Node runs as PID 1 and the controller handles SIGTERM and
# SIGINT itself (graceful drain, lease release), which is the part tini would otherwise forward.
USER 65532:65532
ENV NODE_ENV=production
EXPOSE 8080 8081
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/ecs-scheduler.js"]
CMD ["run"]
