/**
 * Local HTTP receivers of the merchant webhooks, for the benchmarks: one that answers 200 at once and records what it
 * got, and one that never answers (it holds every request open, as a dead endpoint behind a load balancer does).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedEvent {
  /** The Webhook-Id header: the event id, the same on every retry. */
  webhookId: string;
  type: string;
  redemptionId: string;
}

export interface Receiver {
  url: string;
  /** Requests received so far, retries included. */
  requests: () => number;
  close: () => Promise<void>;
}

async function listenLocally(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/hooks`;
}

function closer(server: Server): () => Promise<void> {
  return async () => {
    // Held requests would keep close() waiting for ever.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers 200 at once and keeps every event it received. */
export async function answeringReceiver(): Promise<Receiver & { events: ReceivedEvent[] }> {
  const events: ReceivedEvent[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    bodyOf(req)
      .then((text) => {
        const body = JSON.parse(text) as { type: string; data: { id: string } };
        events.push({ webhookId: String(req.headers['webhook-id']), type: body.type, redemptionId: body.data.id });
        res.writeHead(200).end();
      })
      .catch(() => res.writeHead(400).end());
  });
  const url = await listenLocally(server);
  return { url, events, requests: () => requests, close: closer(server) };
}

/** Reads nothing and never answers: every request stays open until its sender gives up. */
export async function hangingReceiver(): Promise<Receiver> {
  let requests = 0;
  const server = createServer(() => {
    requests++;
  });
  // The sender's timeout ends a request; the server must not end it first.
  server.requestTimeout = 0;
  const url = await listenLocally(server);
  return { url, requests: () => requests, close: closer(server) };
}
