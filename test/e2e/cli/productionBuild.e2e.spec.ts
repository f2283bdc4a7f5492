// The production build: `npm run build` compiles the shipped folders to JavaScript, and
// `flashsale` runs from that build in an install without the devDependencies (as the image's
// `npm ci --omit=dev` leaves it): no tsx, no TypeScript sources, no test or bench code.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../stack/paths.js';

let install: string;

/** A node_modules in `root` holding only the production packages (package-lock's non-dev ones), each a link to the project's own copy. */
function productionModules(root: string): void {
  const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  for (const [where, pkg] of Object.entries(lock.packages)) {
    // Top-level packages only: nested ones live inside their parent's folder, linked whole.
    if (!where.startsWith('node_modules/') || where.slice('node_modules/'.length).includes('node_modules/') || pkg.dev) continue;
    const target = path.join(root, where);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.symlinkSync(path.join(PROJECT_ROOT, where), target);
  }
}

function node(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: install, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 });
}

/** `npm run build` into the install's dist/, without blocking the test worker while tsc runs. */
function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['run', 'build', '--', '--outDir', path.join(install, 'dist')],
      { cwd: PROJECT_ROOT, timeout: 280_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`npm run build failed: ${stdout}\n${stderr}`)) : resolve()),
    );
  });
}

beforeAll(async () => {
  install = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-build-'));
  await build();
  fs.mkdirSync(path.join(install, 'bin'));
  fs.copyFileSync(path.join(PROJECT_ROOT, 'bin', 'flashsale.js'), path.join(install, 'bin', 'flashsale.js'));
  fs.copyFileSync(path.join(PROJECT_ROOT, 'package.json'), path.join(install, 'package.json'));
  productionModules(install);
}, 300_000);

afterAll(() => {
  if (install) fs.rmSync(install, { recursive: true, force: true });
});

describe('the production build', () => {
  it('compiles the shipped folders only, to JavaScript', () => {
    expect(fs.existsSync(path.join(install, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(fs.existsSync(path.join(install, 'dist', 'runtime', 'platform.js'))).toBe(true);
    expect(fs.readdirSync(path.join(install, 'dist')).sort()).not.toEqual(expect.arrayContaining(['test']));
    expect(fs.readdirSync(path.join(install, 'dist'))).not.toContain('bench');
  });

  it('installs without tsx or the load generator', () => {
    const probe = node(['--input-type=module', '-e', "await import('tsx/esm/api')"]);
    expect(probe.status).not.toBe(0);
    expect(probe.stderr).toMatch(/Cannot find package 'tsx'/);
    expect(fs.existsSync(path.join(install, 'node_modules', 'autocannon'))).toBe(false);
    expect(fs.existsSync(path.join(install, 'node_modules', 'express'))).toBe(true);
  });

  it('runs `flashsale topics` and `--help` from the build, through bin/', () => {
    const topics = node(['bin/flashsale.js', 'topics']);
    expect(topics.stderr).toBe('');
    expect(topics.status).toBe(0);
    expect(topics.stdout).toMatch(/^flashsale\.sales\n {2}key: saleId/);
    const help = node(['bin/flashsale.js', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: flashsale/);
    expect(help.stdout).toMatch(/start/);
  });
});
