import { NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env';
import { isDependencyOutage } from '../../application/outages';
import { connectServices, startWaitPauseMs } from '../../application/wiring';

describe('a process that starts while a dependency is down', () => {
  it('tries again after 1 s, doubling, at most 10 s', () => {
    expect([1, 2, 3, 4, 5, 20].map(startWaitPauseMs)).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('takes a Temporal it cannot connect to for an outage, to wait for', async () => {
    const failure = await NativeConnection.connect({ address: '127.0.0.1:1' }).catch((error: unknown) => error);
    expect(isDependencyOutage(failure)).toBe(true);
  });

  it('ends the start at once on a failure that waiting cannot fix', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    const config = loadConfig({ MONGODB_URI: 'mongodb://127.0.0.1:not-a-port' }, { embedded: true });
    await expect(connectServices(config, { waitForDependencies: logger })).rejects.toThrow(/Unable to parse/);
    expect(logged).toEqual([]);
  });
});
