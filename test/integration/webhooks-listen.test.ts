/**
 * `npm run webhooks:listen`, run as an integrator runs it against the stack: it registers a temporary endpoint, prints
 * each event with its signature verified, forwards it as it came, and removes the endpoint when it stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { readJson, startTestStack, TEST_API_KEY, type TestStack } from '../harness/stack';
import { startStubPartner, type StubPartner } from '../harness/stub-partner';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run webhooks:listen', () => {
  let stack: TestStack;
  let target: StubPartner;
  let listener: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await startTestStack({ env: { WEBHOOK_ENDPOINTS_CACHE_MS: '0' } });
    target = await startStubPartner({ status: 204 });
  });
  afterAll(async () => {
    listener?.kill('SIGKILL');
    await stack?.close();
    await target?.close();
  });

  it('prints each event verified, forwards it as it came, and removes its endpoint when stopped', async () => {
    listener = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/webhooks-listen.ts',
        '--api',
        stack.api.url,
        '--api-key',
        TEST_API_KEY,
        '--forward-to',
        target.redeemUrl,
      ],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    listener.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    listener.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await expect.poll(() => output, { timeout: 30_000 }).toContain('Listening for *');
    const endpointId = /as endpoint (whe_\w+)/.exec(output)![1]!;

    const member = await createMemberWithPoints(stack.mongo.db, 500);
    const option = await createOption(stack.mongo.db);
    const created = await stack.api.request('/v1/redemptions', {
      method: 'POST',
      json: { customer_email: member.email, redemption_option_id: option.id },
    });
    const redemption = await readJson(created);
    expect(redemption.status).toBe('completed');

    const lines = () => output.split('\n').filter((line) => line.includes(redemption.id));
    await expect.poll(() => lines().length, { timeout: 30_000 }).toBe(3);
    expect(lines().map((line) => line.split(/\s+/)[1])).toEqual([
      'redemption.pending',
      'redemption.redeeming',
      'redemption.completed',
    ]);
    for (const line of lines()) expect(line).toMatch(/signature verified {2}-> 204$/);
    const forwarded = target.calls.filter((call) => call.body?.data?.id === redemption.id);
    expect(forwarded).toHaveLength(3);
    for (const call of forwarded) {
      expect(call.headers['webhook-signature']).toMatch(/^v1,/);
      expect(output).toContain(String(call.headers['webhook-id']));
    }

    const exited = new Promise((resolve) => listener!.once('exit', resolve));
    listener.kill('SIGINT');
    await exited;
    expect(output).toContain(`Removed endpoint ${endpointId}.`);
    expect((await stack.api.request(`/v1/webhook-endpoints/${endpointId}`)).status).toBe(404);
  }, 90_000);
});
