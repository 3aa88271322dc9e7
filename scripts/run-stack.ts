import { ConfigError } from '../config/env';

/**
 * Runs a stack's start-up and keeps it up until Ctrl-C (or SIGTERM), then stops what it started; a start-up that fails
 * says why and stops what it had started too.
 */
export function runStack(start: () => Promise<void>, stopAll: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log('\nStopping...');
      void stopAll().then(() => process.exit(0));
    });
  }
  start().catch(async (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `Could not start: ${(error as Error).message}`);
    await stopAll();
    process.exit(1);
  });
}
