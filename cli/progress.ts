// Progress for long CLI work, on stderr so stdout stays clean for --json and pipes.
import cliProgress from 'cli-progress';

export function createProgress(label: string) {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} events | {rate} ev/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  return {
    start: (total: number) => bar.start(total, 0, { rate: '0' }),
    increment: (n: number) => {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.increment(n, { rate: Math.round((bar.getProgress() * bar.getTotal()) / seconds) });
    },
    stop: () => bar.stop(),
  };
}
