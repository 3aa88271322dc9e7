/**
 * Operators follow redemptions in the Temporal UI. This suite starts the embedded stack's Temporal dev server with its
 * UI (the same start-up as `npm start`), runs redemptions through the API, and has a real headless Chromium read what
 * the UI renders. `UPDATE_SCREENSHOTS=1` also saves the redemption's page as docs/temporal-ui-redemption.png.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersWorkflowIdOf, workflowIdOf } from '../../application/redemption-ids';
import { RedemptionIdKey, RedemptionStatusKey } from '../../domain/search-attributes';
import { freePort, startTemporal, type RunningServer } from '../../scripts/servers';
import { resolveTemporalExecutable } from '../../scripts/tools';
import { BrowserPage, findChromium } from '../harness/chromium';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { installTemporalRuntime } from '../../application/temporal-runtime';
import { readJson, startTestStack, type TestStack } from '../harness/stack';

const SCREENSHOT = fileURLToPath(new URL('../../docs/temporal-ui-redemption.png', import.meta.url));

/** The list's columns an operator would pick: the redemption's search attributes beside the workflow's own. */
const OPERATOR_COLUMNS = [
  { label: 'Status', pinned: true },
  { label: 'Workflow ID', pinned: true },
  { label: 'RedemptionStatus', pinned: false },
  { label: 'Partner', pinned: false },
  { label: 'OptionId', pinned: false },
  { label: 'Start', pinned: false },
];

describe('redemptions in the Temporal UI', () => {
  let dir: string | undefined;
  let temporal: RunningServer | undefined;
  let uiUrl: string;
  let stack: TestStack | undefined;
  let page: BrowserPage | undefined;

  beforeAll(async () => {
    findChromium(); // fails the suite, saying how to install one, when there is no browser
    const dataDir = mkdtempSync(join(tmpdir(), 'temporal-ui-'));
    dir = dataDir;
    // Starting a dev server creates the SDK's runtime, which the worker's settings must come before.
    installTemporalRuntime({ logLevel: 'ERROR' });
    const uiPort = await freePort();
    temporal = await startTemporal(await resolveTemporalExecutable(), {
      port: await freePort(),
      uiPort,
      dbFilename: join(dataDir, 'temporal.db'),
      namespace: 'default',
    });
    uiUrl = `http://127.0.0.1:${uiPort}`;
    stack = await startTestStack({ env: { TEMPORAL_ADDRESS: temporal.address } });
    page = await BrowserPage.launch({ width: 1440, height: 1000 });
  });

  afterAll(async () => {
    await page?.close();
    await stack?.close();
    await temporal?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function redeem(body: Record<string, unknown>) {
    const res = await stack!.api.request('/v1/redemptions', { method: 'POST', json: body });
    expect(res.status).toBe(201);
    return readJson(res);
  }

  it('shows the list filtered by RedemptionStatus, and a redemption’s summary and current details on its page', async () => {
    const member = await createMemberWithPoints(stack!.mongo.db, 1_000);
    const option = await createOption(stack!.mongo.db, {
      name: 'Free flat white',
      cost_points: 300,
      partner: 'flavours',
    });
    const immediateOption = await createOption(stack!.mongo.db, { name: 'Cookie', cost_points: 100 });
    const waiting = await redeem({
      customer_email: member.email,
      redemption_option_id: option.id,
      delay_points_deduction: true,
    });
    expect(waiting.status).toBe('awaiting_order');
    const completed = await redeem({ customer_email: member.email, redemption_option_id: immediateOption.id });
    expect(completed.status).toBe('completed');

    // The UI keeps its column choice in the browser's local storage, per namespace.
    await page!.goto(`${uiUrl}/namespaces/default/workflows`);
    await page!.waitForText(['Workflows']);
    await page!.evaluate(
      `localStorage.setItem('namespace-workflow-table-columns', ${JSON.stringify(JSON.stringify({ default: OPERATOR_COLUMNS }))})`,
    );
    const query = encodeURIComponent(`RedemptionStatus="awaiting_order"`);
    await page!.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`);
    const list = await page!.waitForText([workflowIdOf(waiting.id), 'awaiting_order', 'flavours']);
    expect(list).not.toContain(workflowIdOf(completed.id));
    expect(list).not.toContain(member.email);

    const { runId } = await stack!.client.workflow.getHandle(workflowIdOf(waiting.id)).describe();
    await page!.goto(`${uiUrl}/namespaces/default/workflows/${workflowIdOf(waiting.id)}/${runId}/user-metadata`);
    const details = await page!.waitForText([
      '300 points for Free flat white',
      'partner flavours',
      'Status: awaiting_order',
      'Awaiting its order: 300 points held',
    ]);
    expect(details).not.toContain(member.email);
    const screenshot = await page!.screenshot();
    expect(screenshot.subarray(1, 4).toString()).toBe('PNG');
    if (process.env.UPDATE_SCREENSHOTS === '1') writeFileSync(SCREENSHOT, screenshot);
  });

  it('gives a redemption workflow a static summary without the member’s email, and finds it by RedemptionId', async () => {
    const member = await createMemberWithPoints(stack!.mongo.db, 500);
    const option = await createOption(stack!.mongo.db, { name: 'Free croissant', cost_points: 200 });
    const redemption = await redeem({ customer_email: member.email, redemption_option_id: option.id });

    const description = await stack!.client.workflow.getHandle(workflowIdOf(redemption.id)).describe();
    const summary = await description.staticSummary();
    const staticDetails = await description.staticDetails();
    expect(summary).toBe(`200 points for Free croissant (option ${option.id}) · partner none · immediate · pending`);
    expect(staticDetails).toContain(`Redemption ${redemption.id}`);
    for (const text of [summary, staticDetails]) {
      expect(text).not.toContain(member.email);
      expect(text).not.toContain(member._id);
    }
    expect(description.typedSearchAttributes.get(RedemptionIdKey)).toBe(redemption.id);
    expect(description.typedSearchAttributes.get(RedemptionStatusKey)).toBe('completed');

    // An order using the completed redemption's coupon goes through the redemption's orders workflow.
    const order = await stack!.api.request('/v1/orders', {
      method: 'POST',
      json: { order_id: `order-${redemption.id}`, coupon_code: redemption.coupon_code },
    });
    expect(order.status).toBe(200);
    const orders = await stack!.client.workflow.getHandle(ordersWorkflowIdOf(redemption.id)).describe();
    expect(await orders.staticSummary()).toBe(
      `Order events of redemption ${redemption.id}, opened as an order uses its coupon`,
    );
    expect(orders.typedSearchAttributes.get(RedemptionIdKey)).toBe(redemption.id);

    await expect
      .poll(() => workflowIdsFound(`RedemptionId = "${redemption.id}"`), { timeout: 10_000 })
      .toEqual([workflowIdOf(redemption.id), ordersWorkflowIdOf(redemption.id)].sort());
  });

  async function workflowIdsFound(query: string): Promise<string[]> {
    const found: string[] = [];
    for await (const execution of stack!.client.workflow.list({ query })) found.push(execution.workflowId);
    return found.sort();
  }
});
