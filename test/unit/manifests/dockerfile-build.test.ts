// Docker builds do not run on the team's machines, so what the image's build stage needs is checked
// here: every script `npm run build` runs must be copied into that stage before `RUN npm run build`.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';

describe('Dockerfile build stage', () => {
  const lines = readFileSync('Dockerfile', 'utf8').split('\n');
  const buildAt = lines.findIndex((line) => /^RUN npm run build\b/.test(line));
  const copies = lines
    .slice(0, buildAt)
    .filter((line) => /^COPY\s/.test(line))
    .flatMap((line) => line.split(/\s+/).slice(1, -1));
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  const scripts = [...pkg.scripts.build!.matchAll(/\bnode\s+(\S+\.js)\b/g)].map((m) => m[1]!);

  it('runs npm run build, with the scripts it names', () => {
    expect(buildAt).to.be.above(0);
    expect(scripts).to.include('scripts/bundle.js');
  });

  it('copies each script the build runs before running it', () => {
    for (const script of scripts) expect(copies, script).to.include(script);
  });
});
