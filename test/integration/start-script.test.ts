import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('npm start against real clusters', () => {
  it('refuses to start without API_KEYS: development credentials belong only to the fully embedded stack', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress') };
    env.MONGODB_URI = inject('mongoUri');
    delete env.API_KEYS;
    const run = spawnSync('node_modules/.bin/tsx', ['scripts/start.ts'], {
      cwd: projectRoot,
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr + run.stdout).toContain('API_KEYS: set at least one bearer key');
    expect(run.stderr + run.stdout).not.toContain('dev-api-key');
  });
});
