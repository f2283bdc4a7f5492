// Integration tests need the real stack: bring it up (idempotent) before any file runs.
// Tearing it down is the test script's job, and only when it started it.
import { stackUp } from '../../stack/stack.js';

export default async function setup(): Promise<void> {
  await stackUp(() => undefined);
}
