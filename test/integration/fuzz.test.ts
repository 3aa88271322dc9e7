/**
 * Fuzzing from the OpenAPI document the service serves: a few thousand requests per run, every operation, webhooks
 * signed as their partners sign them. `FUZZ_SEED` replays a run (the seed is printed, and named in every failure);
 * `FUZZ_RUNS` sets how many requests. Generation: fast-check over the document's schemas (see
 * test/harness/openapi-arbitrary.ts for why).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTNERS } from '../../domain/partners';
import {
  concreteRequest,
  describeExchange,
  operationsOf,
  resolvePools,
  spoiltRequest,
  validRequest,
  type ConcreteRequest,
  type Credentials,
  type Operation,
  type PlannedRequest,
  type Pools,
} from '../harness/fuzz-requests';
import type { OpenApiDocument, SchemaContext } from '../harness/openapi-arbitrary';
import {
  diffSnapshots,
  documentsOf,
  storeSnapshotter,
  type StoreChange,
  type StoreSnapshot,
  type StoreSnapshotter,
} from '../harness/store-snapshot';
import { TEST_API_KEY, readJson, startTestStack, type TestStack } from '../harness/stack';

const responseAjv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(responseAjv);

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
/** Requests per operation in the run that sends only what the document allows. */
const VALID_RUNS_PER_OPERATION = Math.max(5, Math.round(RUNS / 60));

const DELIVERECT_SECRET = 'fuzz-deliverect-secret';
const POS_PARTNERS = Object.values(PARTNERS).filter((partner) => partner.posWebhooks);
const CREDENTIALS: Credentials = {
  apiKey: TEST_API_KEY,
  pos: Object.fromEntries(
    POS_PARTNERS.map((partner) => [
      partner.name,
      { scheme: partner.auth === 'bearer' ? 'bearer' : 'api-token', secret: `fuzz-${partner.name}-secret` },
    ]),
  ),
  deliverectSecret: DELIVERECT_SECRET,
};

const BRANCHES = ['BR-1', 'BR-2'];
const BUSINESSES = ['BIZ-1'];
const PLUS = ['COF-01', 'CMB-02'];

/** Which pool fills which property or parameter, wherever it appears. */
const SHARED_POOLS: Record<string, string> = {
  customer_email: 'email',
  phone_number: 'phone',
  phoneNumber: 'phone',
  email: 'email',
  pos_account_id: 'pos',
  customer_external_id: 'external',
  redemption_option_id: 'option',
  programId: 'option',
  coupon_code: 'coupon',
  reward_code: 'coupon',
  order_id: 'order',
  orderId: 'order',
  branch_id: 'branch',
  locationId: 'branch',
  location: 'branch',
  business_ref: 'business',
  business_refrence: 'business',
  accountId: 'business',
  account: 'business',
  plu: 'plu',
  item_plu: 'plu',
  member_id: 'member',
  partner: 'partner',
};

function poolsFor(operation: Operation): Record<string, string> {
  if (operation.path === '/v1/members') return {};
  const id = operation.path.startsWith('/v1/members/')
    ? 'member'
    : operation.path.startsWith('/v1/redemption-options/')
      ? 'option'
      : operation.path.startsWith('/v1/redemptions/')
        ? 'redemption'
        : operation.path.startsWith('/v1/webhook-endpoints/')
          ? 'webhook-endpoint'
          : undefined;
  return { ...SHARED_POOLS, ...(id ? { id } : {}) };
}

/**
 * What the document cannot say but a fuzz run needs: delayed coupons that do not expire while it runs (an expiry
 * would change the store under a request that was refused).
 */
const OVERRIDES = {
  coupon_ttl_seconds: fc.integer({ min: 86_400, max: 90 * 86_400 }),
};

describe('fuzzing from the OpenAPI document', () => {
  let stack: TestStack;
  let store: StoreSnapshotter;
  let document: OpenApiDocument;
  let operations: Operation[];
  const pools: Pools = {
    partner: POS_PARTNERS.map((partner) => partner.name),
    branch: [...BRANCHES],
    business: [...BUSINESSES],
    plu: [...PLUS],
  };
  const add = (pool: string, value: unknown) => {
    if (value === undefined || value === null || value === '') return;
    const values = (pools[pool] ??= []);
    if (!values.includes(value)) values.push(value);
  };

  const contextFor = (operation: Operation): SchemaContext => ({
    document,
    pools: poolsFor(operation),
    overrides: OVERRIDES,
  });

  /** Learns the ids the service handed out, so that later requests reach past "not found". */
  function harvest(request: ConcreteRequest, operation: Operation, status: number, answer: any) {
    if (status >= 300 || answer === null || typeof answer !== 'object') return;
    const key = `${operation.method} ${operation.path}`;
    if (key === 'post /v1/members') {
      add('member', answer.id);
      add('email', answer.email);
      add('phone', answer.phone_number);
      add('pos', answer.pos_account_id);
      add('external', answer.external_id);
    } else if (key === 'post /v1/redemption-options') {
      add('option', answer.id);
      add('plu', answer.item_plu);
      for (const branch of answer.branch_ids ?? []) add('branch', branch);
      add('business', answer.business_ref);
    } else if (key === 'post /v1/redemptions') {
      add('redemption', answer.id);
      add('coupon', answer.coupon_code);
    } else if (key === 'post /v1/webhook-endpoints') {
      add('webhook-endpoint', answer.id);
    } else if (key === 'post /v1/orders') {
      add('order', answer.order_id);
    } else if (key === 'post /webhooks/deliverect/orders') {
      const body = request.json as any;
      add('order', body?.orderId ?? body?.order?.orderId);
    }
  }

  async function send(request: ConcreteRequest) {
    const res = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, contentType: res.headers.get('content-type') ?? '' };
  }

  /**
   * What is wrong with an answer by the document: a status the operation does not list, or a JSON body its schema for
   * that status does not allow; undefined when it conforms. A path that names no route at all is the app's 404, not
   * the operation's.
   */
  const responseValidators = new Map<string, ValidateFunction>();
  function nonConformance(operation: Operation, answer: Awaited<ReturnType<typeof send>>): string | undefined {
    if (answer.status === 404 && (answer.json as any)?.error?.code === 'route_not_found') return undefined;
    const responses = (document.paths[operation.path] as any)[operation.method].responses;
    const documented = responses[String(answer.status)];
    if (!documented) return `undocumented status ${answer.status}`;
    const schema = documented.content?.['application/json']?.schema;
    if (!schema || !answer.contentType.startsWith('application/json')) return undefined;
    const key = `${operation.method} ${operation.path} ${answer.status}`;
    let validate = responseValidators.get(key);
    if (!validate) {
      validate = responseAjv.compile({ ...schema, components: document.components });
      responseValidators.set(key, validate);
    }
    return validate(answer.json)
      ? undefined
      : `a ${answer.status} body outside its schema: ${responseAjv.errorsText(validate.errors)}`;
  }

  async function api(path: string, json: unknown) {
    const res = await stack.api.request(path, { method: 'POST', json });
    expect(res.status, `${path} ${JSON.stringify(json)}`).toBeLessThan(300);
    return readJson(res);
  }

  beforeAll(async () => {
    stack = await startTestStack({
      env: {
        DELIVERECT_INBOUND_SECRET: DELIVERECT_SECRET,
        ...Object.fromEntries(
          Object.entries(CREDENTIALS.pos).map(([name, { secret }]) => [`${name.toUpperCase()}_INBOUND_SECRET`, secret]),
        ),
      },
    });
    store = await storeSnapshotter(stack.mongo.db, stack.config.mongo.postgresUrl);
    document = (await readJson(await fetch(`${stack.api.url}/openapi.json`))) as OpenApiDocument;
    operations = operationsOf(document);

    // A small world to fuzz against: members with points, rewards of every type, coupons waiting for orders.
    for (let index = 0; index < 4; index += 1) {
      const member = await api('/v1/members', {
        email: `fuzz-${index}@example.com`,
        phone_number: `+96650000000${index}`,
        pos_account_id: `POS-${index}`,
        external_id: `EXT-${index}`,
      });
      add('member', member.id);
      add('email', member.email);
      add('phone', member.phone_number);
      add('pos', member.pos_account_id);
      add('external', member.external_id);
      await api(`/v1/members/${member.id}/points`, { points: 100_000, reason: 'fuzz', idempotency_key: 'seed' });
    }
    const options = [
      { type: 'discount_amount', cost_points: 100, discount: 500 },
      { type: 'discount_percentage', cost_points: 150, discount: 2500, branch_ids: BRANCHES },
      { type: 'free_item', cost_points: 200, item_plu: PLUS[0], business_ref: BUSINESSES[0] },
      { type: 'item_discount_percentage', cost_points: 50, item_plu: PLUS[1], discount: 5000 },
      { type: 'variable', points_per_unit: 10, unit_value: 100 },
    ];
    for (const [index, option] of options.entries()) {
      const created = await api('/v1/redemption-options', {
        name: `Fuzz reward ${index}`,
        currency: index === 4 ? 'EUR' : 'SAR',
        coupon_ttl_seconds: 86_400,
        ...option,
      });
      add('option', created.id);
    }
    for (const [index, email] of (pools.email as string[]).entries()) {
      const redemption = await api('/v1/redemptions', {
        customer_email: email,
        redemption_option_id: pools.option![index % 4],
        delay_points_deduction: true,
      });
      add('redemption', redemption.id);
      add('coupon', redemption.coupon_code);
    }
    console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} replays this run)`);
  });
  afterAll(async () => {
    await store?.close();
    await stack?.close();
  });

  /**
   * The store once every workflow that a successful request started has done what it does on its own: nothing in
   * flight, and two reads in a row alike. Otherwise, why not.
   */
  async function settledSnapshot(): Promise<{ snapshot: StoreSnapshot } | { busy: string }> {
    let previous = await store.snapshot();
    let busy = 'the store kept changing';
    for (let attempt = 0; attempt < 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const next = await store.snapshot();
      const reason = diffSnapshots(previous, next).length > 0 ? 'the store kept changing' : await inFlight(next);
      if (reason === undefined) return { snapshot: next };
      busy = reason;
      previous = next;
    }
    return { busy };
  }

  /** A cancellation that waits for an order not seen yet; one saying the order is not cancelled waits for nothing. */
  function waitsForItsOrder(cancel: { raw: string; order_id: string }, ordersSeen: Set<string>): boolean {
    if (ordersSeen.has(cancel.order_id)) return false;
    try {
      return JSON.parse(cancel.raw)?.isCancelled === true;
    } catch {
      return false;
    }
  }

  /**
   * What is still going on, if anything: a redemption being decided or fulfilled, a Deliverect notification not handed
   * over, an order not done or whose redemptions are not written yet, a cancellation whose order came and that is not
   * done, or a workflow running besides those of the coupons that wait for their order and those of Deliverect
   * cancellations that wait for theirs (a refund in progress, for one).
   */
  async function inFlight(snapshot: StoreSnapshot): Promise<string | undefined> {
    const redemptions = documentsOf(snapshot, 'redemptions');
    const byId = new Map(redemptions.map((redemption) => [redemption._id, redemption]));
    const deciding = redemptions.find((redemption) => ['pending', 'redeeming'].includes(redemption.status));
    if (deciding) return `redemption ${deciding._id} is ${deciding.status}`;
    const notifications = documentsOf(snapshot, 'partner_notifications');
    const ordersSeen = new Set(notifications.filter(({ kind }) => kind === 'order').map(({ order_id }) => order_id));
    for (const notification of notifications) {
      if (notification.state === 'received') return `${notification._id} is not handed over`;
      if (notification.kind === 'order') {
        if (notification.state === 'handed_over') return `${notification._id} is not done`;
        const missing = notification.redemption_ids.find((id: string) => !byId.has(id));
        if (missing) return `${notification._id} started ${missing}, which has not written its redemption`;
      } else if (notification.state === 'handed_over' && !waitsForItsOrder(notification, ordersSeen)) {
        return `${notification._id} does not wait for an order and is not done`;
      }
    }
    const running: string[] = [];
    for await (const workflow of stack.client.workflow.list({
      // The lanes of the endpoints the fuzzer registered keep running; they change none of the store above.
      query: `TaskQueue = "${stack.config.temporal.taskQueue}" AND ExecutionStatus = "Running" AND WorkflowType != "webhookLaneWorkflow"`,
    })) {
      running.push(workflow.workflowId);
    }
    const awaiting = redemptions.filter((redemption) => redemption.status === 'awaiting_order').length;
    // A cancellation of an order not seen yet keeps its order's workflow waiting for it (the orphan TTL).
    const waitingCancels = notifications.filter(
      (notification) =>
        notification.kind === 'cancel' &&
        notification.state === 'handed_over' &&
        waitsForItsOrder(notification, ordersSeen),
    ).length;
    if (running.length !== awaiting + waitingCancels) {
      const busy = await Promise.all(
        running.slice(0, 3).map(async (id) => {
          const description = await stack.client.workflow.getHandle(id).describe();
          const activity = description.raw.pendingActivities?.[0];
          return `${id} (${activity?.activityType?.name ?? 'no activity'}: ${activity?.lastFailure?.message ?? ''})`;
        }),
      );
      return `${running.length} workflows running for ${awaiting} coupons awaiting their order and ${waitingCancels} cancellations awaiting theirs: ${busy.join(', ')}`;
    }
    return undefined;
  }

  /**
   * A refusal changes nothing. The one thing a 4xx may leave behind is the record of a refused redemption: Create
   * Redemption answers 422 once the workflow has rejected it, and that rejected redemption (no points, no coupon) is
   * its audit trail.
   */
  function forbiddenChanges(operation: Operation, status: number, changes: StoreChange[]): StoreChange[] {
    return changes.filter((change) => {
      const auditOfRejection =
        operation.method === 'post' &&
        operation.path === '/v1/redemptions' &&
        status === 422 &&
        change.collection === 'redemptions' &&
        change.kind === 'added' &&
        JSON.parse(change.after!).status === 'rejected';
      return !auditOfRejection;
    });
  }

  it(
    'answers every generated request without a 5xx and as the document says, and a 4xx changes no balance, ledger entry or redemption',
    { timeout: 300_000 },
    async () => {
      const plan = fc.sample(
        fc.oneof(
          ...operations.map((operation) =>
            fc.oneof(
              { weight: 2, arbitrary: validRequest(operation, contextFor(operation)) },
              { weight: 3, arbitrary: spoiltRequest(operation, contextFor(operation)) },
            ),
          ),
        ),
        { seed: SEED, numRuns: RUNS },
      );
      const failures = new FailureLog();
      const statuses = new Map<number, number>();
      const settled = async (where: () => string) => {
        const settling = await settledSnapshot();
        if ('snapshot' in settling) return settling.snapshot;
        failures.add('the store did not settle within 5 s', `${settling.busy}\n${where()}`);
        return store.snapshot();
      };
      let baseline = await settled(() => 'before the first request');
      const spent = { requests: 0, refusalChecks: 0, settling: 0 };
      const timed = async <T>(what: keyof typeof spent, work: () => Promise<T>): Promise<T> => {
        const started = performance.now();
        try {
          return await work();
        } finally {
          spent[what] += performance.now() - started;
        }
      };
      for (const [index, planned] of plan.entries()) {
        const request = concreteRequest(stack.api.url, planned, pools, CREDENTIALS);
        const answer = await timed('requests', () => send(request));
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const where = () =>
          `seed ${SEED}, request ${index + 1} of ${RUNS}:\n${describeExchange(request, answer.status, answer.text)}`;
        const what = `${planned.operation.method.toUpperCase()} ${planned.operation.path} [${planned.mutation.split(' ')[0]}]`;
        if (answer.status >= 500) failures.add(`${answer.status} on ${what}`, where());
        const nonConforming = nonConformance(planned.operation, answer);
        if (nonConforming) failures.add(`${nonConforming} on ${what}`, where());
        if (answer.status >= 400 && answer.status < 500) {
          const error = (answer.json as any)?.error;
          if (typeof error?.code !== 'string' || typeof error?.message !== 'string' || !Array.isArray(error?.details)) {
            failures.add(`${answer.status} without the error body of SPEC §3 on ${what}`, where());
          }
          const after = await timed('refusalChecks', () => store.snapshot());
          const changed = forbiddenChanges(planned.operation, answer.status, diffSnapshots(baseline, after));
          if (changed.length > 0) {
            failures.add(
              `${answer.status} that changed the store on ${what}`,
              `${describeChanges(changed)}\n${where()}`,
            );
          }
          baseline = after;
        } else if (planned.operation.method !== 'get') {
          harvest(request, planned.operation, answer.status, answer.json);
          baseline = await timed('settling', () => settled(where));
        } else {
          harvest(request, planned.operation, answer.status, answer.json);
        }
      }
      const seconds = Object.fromEntries(Object.entries(spent).map(([what, ms]) => [what, Math.round(ms / 1000)]));
      console.log(
        `fuzz seed ${SEED}: ${plan.length} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
          `seconds ${JSON.stringify(seconds)}`,
      );
      expect(failures.messages, failures.messages.join('\n\n')).toEqual([]);
    },
  );

  // About 1,000 requests: 20 s alone, three times that beside the other suites under CI.
  it(
    'never refuses as invalid (400) a request that the OpenAPI document allows, and answers it as the document says',
    { timeout: 300_000 },
    async () => {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats.default(ajv);
      const validators = new Map(
        operations.map((operation) => {
          const validate = (schema: unknown) =>
            ajv.compile({ ...(schema as object), components: document.components } as object);
          return [
            operation,
            {
              body: operation.body === undefined ? undefined : validate(operation.body),
              pathParams: validate(operation.pathParams),
              query: validate(operation.query),
              headers: validate(operation.headers),
            },
          ];
        }),
      );
      const failures = new FailureLog();
      for (const [position, operation] of operations.entries()) {
        const plan: PlannedRequest[] = fc.sample(validRequest(operation, contextFor(operation)), {
          seed: SEED + position,
          numRuns: VALID_RUNS_PER_OPERATION,
        });
        for (const planned of plan) {
          const request = concreteRequest(stack.api.url, planned, pools, CREDENTIALS);
          const check = validators.get(operation)!;
          const parts = {
            body: request.json,
            pathParams: request.pathParams,
            query: Object.fromEntries(resolvePools(planned.query, pools) as [string, unknown][]),
            headers: Object.fromEntries(
              Object.keys(operation.headers.properties ?? {})
                .filter((name) => request.headers[name.toLowerCase()] !== undefined)
                .map((name) => [name, request.headers[name.toLowerCase()]]),
            ),
          };
          for (const part of ['body', 'pathParams', 'query', 'headers'] as const) {
            const validate = check[part];
            if (validate && !validate(parts[part])) {
              failures.add(
                `the fuzzer generated a ${part} of ${operation.method} ${operation.path} that the document does not allow: ${ajv.errorsText(validate.errors)}`,
                `seed ${SEED}:\n${describeExchange(request, 0, '(not sent)')}`,
              );
            }
          }
          const answer = await send(request);
          const nonConforming = nonConformance(operation, answer);
          if (nonConforming) {
            failures.add(
              `${nonConforming} on ${operation.method.toUpperCase()} ${operation.path}`,
              `seed ${SEED}:\n${describeExchange(request, answer.status, answer.text)}`,
            );
          }
          if (answer.status === 400 || answer.status >= 500) {
            const error = (answer.json as any)?.error;
            const details = (error?.details ?? []).map((detail: any) => `${detail.path}: ${detail.message}`).join('; ');
            failures.add(
              `${answer.status} ${error?.code} (${details}) on ${operation.method.toUpperCase()} ${operation.path}, which the document allows`,
              `seed ${SEED}:\n${describeExchange(request, answer.status, answer.text)}`,
            );
          }
          harvest(request, operation, answer.status, answer.json);
        }
      }
      expect(failures.messages, failures.messages.join('\n\n')).toEqual([]);
    },
  );
});

/** Failures grouped by what went wrong where, each with the first request that showed it. */
class FailureLog {
  private readonly groups = new Map<string, { count: number; example: string }>();

  add(key: string, example: string): void {
    const group = this.groups.get(key);
    if (group) group.count += 1;
    else this.groups.set(key, { count: 1, example });
  }

  get messages(): string[] {
    return [...this.groups].map(([key, { count, example }]) => `${key} (${count}×), first:\n${example}`);
  }
}

function describeChanges(changes: StoreChange[]): string {
  return changes
    .slice(0, 5)
    .map(
      (change) => `${change.kind} ${change.collection} ${change.id}: ${(change.after ?? change.before)!.slice(0, 400)}`,
    )
    .join('; ');
}
