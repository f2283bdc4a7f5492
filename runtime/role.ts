// What every role of the running system gives back: a way to stop it cleanly.
export type RunningRole = { stop(): Promise<void> };
