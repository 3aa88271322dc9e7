/**
 * `npm run webhooks:listen -- --forward-to http://localhost:4000/hook`: what `stripe listen` is for our webhooks.
 * It registers a temporary endpoint on the local stack for the events asked (all by default), receives them on a port
 * of this machine, prints each with whether its signature verifies, forwards it as it came (headers and raw body) to
 * the URL given, and removes the endpoint when it stops (Ctrl-C).
 *
 * Options: --api (default http://localhost:3000, or API_URL), --api-key (default API_KEY, else the development key),
 * --events (comma-separated, default *), --forward-to (optional), --port (the receiver's, default any free one).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { DEV_API_KEY } from '../config/env';
import { verifyWebhook } from '../domain/webhook-signature';

const { values: options } = parseArgs({
  options: {
    api: { type: 'string', default: process.env.API_URL ?? 'http://localhost:3000' },
    'api-key': { type: 'string', default: process.env.API_KEY ?? DEV_API_KEY },
    events: { type: 'string', default: '*' },
    'forward-to': { type: 'string' },
    port: { type: 'string', default: '0' },
  },
});

async function api(path: string, init: { method: string; body?: unknown }): Promise<Record<string, unknown>> {
  const res = await fetch(`${options.api}${path}`, {
    method: init.method,
    headers: { authorization: `Bearer ${options['api-key']}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : {};
}

function rawBodyOf(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const FORWARDED_HEADERS = ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature'];

/** Hands the delivery on as it came; answers with the target's status, or 502 when it cannot be reached. */
async function forward(req: IncomingMessage, body: Buffer): Promise<number> {
  if (!options['forward-to']) return 204;
  const headers = Object.fromEntries(
    FORWARDED_HEADERS.flatMap((name) => (req.headers[name] ? [[name, String(req.headers[name])]] : [])),
  );
  try {
    const res = await fetch(options['forward-to'], { method: 'POST', headers, body });
    await res.body?.cancel();
    return res.status;
  } catch (error) {
    console.error(`  could not forward to ${options['forward-to']}: ${(error as Error).message}`);
    return 502;
  }
}

let secret = '';
const receiver = createServer((req, res) => {
  void (async () => {
    const body = await rawBodyOf(req);
    const verified = await verifyWebhook(
      secret,
      {
        id: req.headers['webhook-id'] as string | undefined,
        timestamp: req.headers['webhook-timestamp'] as string | undefined,
        signature: req.headers['webhook-signature'] as string | undefined,
        body: body.toString('utf8'),
      },
      Math.floor(Date.now() / 1000),
    );
    const event = JSON.parse(body.toString('utf8')) as { id: string; type: string; data?: { id?: string } };
    const status = await forward(req, body);
    console.log(
      `${new Date().toISOString()}  ${event.type}  ${event.data?.id ?? ''}  ${event.id}  signature ${verified ? 'verified' : 'INVALID'}` +
        (options['forward-to'] ? `  -> ${status}` : ''),
    );
    res.writeHead(status).end();
  })().catch((error: unknown) => {
    console.error(`a delivery could not be read: ${(error as Error).message}`);
    res.writeHead(400).end();
  });
});

await new Promise<void>((resolve) => receiver.listen(Number(options.port), '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
const endpoint = await api('/v1/webhook-endpoints', {
  method: 'POST',
  body: {
    url,
    events: options.events.split(',').map((event) => event.trim()),
    description: 'npm run webhooks:listen',
  },
}).catch((error: unknown) => {
  console.error(`Could not register the endpoint: ${(error as Error).message}`);
  receiver.close();
  process.exit(1);
});
secret = endpoint.secret as string;
console.log(
  `Listening for ${options.events} on ${url} as endpoint ${endpoint.id}` +
    (options['forward-to'] ? `, forwarding to ${options['forward-to']}` : '') +
    '. Ctrl-C stops and removes the endpoint.',
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void api(`/v1/webhook-endpoints/${endpoint.id}`, { method: 'DELETE' })
      .then(() => console.log(`Removed endpoint ${endpoint.id}.`))
      .catch((error: unknown) => console.error(`Could not remove endpoint ${endpoint.id}: ${(error as Error).message}`))
      .finally(() => receiver.close(() => process.exit(0)));
  });
}
