// The README's first command: `flashsale demo` runs a whole flash sale to its summary and
// exits 0 only when every check holds (here with a smaller crowd, to keep CI short).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('flashsale demo', () => {
  it('runs a flash sale end to end and ends with a passing summary', async () => {
    const child = spawn(process.execPath, ['bin/flashsale.js', 'demo', '--shoppers', '60', '--stock', '15'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/Reconciliation report/);
    expect(stdout).toMatch(/Replay: \d+ events into \S+: equal/);
    expect(stdout).toMatch(/Demo passed: every check holds\./);
    expect(stdout).not.toMatch(/✘/);
  });
});
