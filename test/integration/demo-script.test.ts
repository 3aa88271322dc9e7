import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY, startTestStack, type TestStack } from '../harness/stack';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const secrets = {
  FLAVOURS_INBOUND_SECRET: 'demo-flavours',
  RETM_INBOUND_SECRET: 'demo-retm',
  DELIVERECT_INBOUND_SECRET: 'demo-deliverect',
};

describe('npm run demo', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: secrets });
  });
  afterAll(() => stack?.close());

  it('walks every partner seed through the product and runs clean', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, DEMO_API_URL: stack.api.url, API_KEYS: TEST_API_KEY, ...secrets },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(output).toContain('Demo ran clean.');
    expect(output).not.toContain('✗');
    expect(output).toMatch(/Its redemption: refunded/);
    expect(code, output).toBe(0);
  });
});
