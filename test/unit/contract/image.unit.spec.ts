// The production image, checked without a Docker engine (none on this machine kind): the
// Dockerfile's stages are read as text. It must build on a supported Node LTS, compile the
// same folders `npm run build` compiles, ship only the compiled code with the production
// dependencies, run unprivileged, and keep tests and the bench out of the build context.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../stack/paths.js';

type Stage = { from: string; name?: string; instructions: string[] };

/** The Dockerfile's stages, each with its instructions (comments dropped, continuations joined). */
function stages(): Stage[] {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const result: Stage[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) result.push({ from: from[1]!, ...(from[2] ? { name: from[2] } : {}), instructions: [] });
    else result.at(-1)?.instructions.push(line);
  }
  return result;
}

const dockerfile = stages();
const build = dockerfile.find((s) => s.name === 'build');
const final = dockerfile.at(-1)!;
const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8')) as T;

describe('the production image', () => {
  it('builds in two stages on a supported Node LTS (22 or 24), never the end-of-life 20', () => {
    expect(dockerfile.length).toBe(2);
    for (const stage of dockerfile) expect(stage.from).toMatch(/^node:(22|24)(\.\d+)*-bookworm-slim$/);
    expect(build).toBeDefined();
    expect(build?.instructions).toContain('RUN npm run build');
  });

  it('compiles every folder `npm run build` compiles', () => {
    const { include } = readJson<{ include: string[] }>('tsconfig.build.json');
    const copied = build!.instructions.filter((i) => i.startsWith('COPY ')).map((i) => i.split(/\s+/)[1]);
    expect(copied).toEqual(expect.arrayContaining(include));
  });

  it('ships the compiled code with production dependencies only, as an unprivileged user', () => {
    const instructions = final.instructions.join('\n');
    expect(instructions).toMatch(/^RUN npm ci --omit=dev\b/m);
    expect(instructions).toMatch(/^COPY --from=build \/app\/dist dist$/m);
    expect(instructions).toMatch(/^COPY bin bin$/m);
    // Only named paths: `COPY . .` would bring the TypeScript sources, tests and bench along.
    expect(instructions).not.toMatch(/^COPY (?!--from)\.\s/m);
    expect(instructions).toMatch(/^ENV NODE_ENV=production$/m);
    const user = /^USER\s+(\S+)$/m.exec(instructions)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(instructions).toMatch(/^ENTRYPOINT \["node", "bin\/flashsale\.js"\]$/m);
  });

  it('keeps tests, the bench and host installs out of the build context', () => {
    const ignored = fs
      .readFileSync(path.join(PROJECT_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['test', 'bench', 'node_modules', 'dist', '.flashsale', 'stack/.cache']));
  });

  it('keeps tsx, TypeScript, the test runner and the load generator in devDependencies', () => {
    const pkg = readJson<{ dependencies: Record<string, string>; devDependencies: Record<string, string> }>('package.json');
    for (const tool of ['tsx', 'typescript', 'vitest', 'autocannon', 'fast-check', 'pino-pretty']) {
      expect(pkg.dependencies).not.toHaveProperty(tool);
      expect(pkg.devDependencies).toHaveProperty(tool);
    }
  });
});
