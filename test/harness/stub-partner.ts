/** A partner's redeem endpoint as a real local HTTP server whose answers the test scripts. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../domain/webhook-signature';

export type PartnerBehaviour =
  | { status: number; body?: unknown; delayMs?: number }
  /** Never answers: the caller's timeout fires. */
  | { hang: true }
  /** Closes the connection without an answer: a network error. */
  | { drop: true };

export interface RecordedCall {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: any;
  receivedAt: number;
}

export interface StubPartner {
  /** The redeem endpoint, e.g. http://127.0.0.1:1234/redeem. */
  redeemUrl: string;
  calls: RecordedCall[];
  /** Queues behaviours for the next calls, in order; when the queue is empty the default answers. */
  queue(...behaviours: PartnerBehaviour[]): void;
  /** The default answer, or a function choosing it for each call that the queue does not answer. */
  setDefault(behaviour: PartnerBehaviour | ((call: RecordedCall) => PartnerBehaviour)): void;
  /** Resolves when at least `count` calls have arrived. */
  waitForCalls(count: number, timeoutMs?: number): Promise<RecordedCall[]>;
  close(): Promise<void>;
}

export async function startStubPartner(initial: PartnerBehaviour = { status: 200, body: {} }): Promise<StubPartner> {
  const calls: RecordedCall[] = [];
  const queued: PartnerBehaviour[] = [];
  let fallback: PartnerBehaviour | ((call: RecordedCall) => PartnerBehaviour) = initial;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
      const call = { path: req.url ?? '', headers: req.headers, rawBody, body, receivedAt: Date.now() };
      calls.push(call);
      const behaviour = queued.shift() ?? (typeof fallback === 'function' ? fallback(call) : fallback);
      if ('hang' in behaviour) return;
      if ('drop' in behaviour) {
        req.socket.destroy();
        return;
      }
      setTimeout(() => {
        res.writeHead(behaviour.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(behaviour.body ?? {}));
      }, behaviour.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redeemUrl: `http://127.0.0.1:${port}/redeem`,
    calls,
    queue: (...behaviours) => queued.push(...behaviours),
    setDefault: (behaviour) => {
      fallback = behaviour;
    },
    async waitForCalls(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (calls.length < count) {
        if (Date.now() > deadline) throw new Error(`stub partner got ${calls.length} calls, expected ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return calls;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The stack's settings that send Flavours' fulfilment to this stub, with deadlines short enough for a test; `env`
 * adds to them or overrides them.
 */
export function fulfilledByStub(partner: StubPartner, env: Record<string, string> = {}): Record<string, string> {
  return {
    FLAVOURS_REDEEM_URL: partner.redeemUrl,
    FLAVOURS_OUTBOUND_SECRET: 'flavours-outbound-secret',
    PARTNER_REDEEM_DEADLINE_MS: '3000',
    PARTNER_CALL_TIMEOUT_MS: '1000',
    ...env,
  };
}

/** Whether a delivery the stub received as a merchant's receiver is signed with `secret`, as a receiver checks it. */
export function signedWith(secret: string, received: RecordedCall): Promise<boolean> {
  return verifyWebhook(
    secret,
    {
      id: received.headers['webhook-id'] as string,
      timestamp: received.headers['webhook-timestamp'] as string,
      signature: received.headers['webhook-signature'] as string,
      body: received.rawBody,
    },
    Math.floor(Date.now() / 1000),
  );
}
