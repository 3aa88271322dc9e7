/**
 * A TCP proxy that resets, now and then, one of the connections through it: a network between the product's processes
 * and the store that drops connections, in-flight commands included, while every process stays up.
 */
import net from 'node:net';

export interface FlakyNetwork {
  port: number;
  /** Starts resetting a connection every `meanGapMs` on average (half to one and a half of it). */
  startDropping(meanGapMs: number): void;
  stopDropping(): void;
  /** For `forMs`, resets every connection that carries a chunk `matches` finds, before the store sees it. */
  refuse(matches: (chunk: Buffer) => boolean, forMs: number): void;
  /** Resets every connection open now. */
  dropAll(): void;
  /** Connections reset by refusals so far. */
  readonly refused: number;
  /** Connections reset so far. */
  readonly drops: number;
  close(): Promise<void>;
}

export async function startFlakyNetwork(target: { host: string; port: number }, random: () => number) {
  const connections = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let refusing: { matches: (chunk: Buffer) => boolean; until: number } | undefined;
  let refused = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const connection = { client, upstream };
    connections.add(connection);
    client.on('data', (chunk: Buffer) => {
      if (refusing && Date.now() < refusing.until && refusing.matches(chunk)) {
        refused++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const close = () => {
      connections.delete(connection);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) socket.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let timer: NodeJS.Timeout | undefined;
  let drops = 0;
  const network: FlakyNetwork = {
    port: (server.address() as net.AddressInfo).port,
    startDropping(meanGapMs) {
      timer = setTimeout(
        () => {
          const open = [...connections];
          const victim = open[Math.floor(random() * open.length)];
          if (victim) {
            drops++;
            victim.client.resetAndDestroy();
            victim.upstream.destroy();
          }
          network.startDropping(meanGapMs);
        },
        meanGapMs * (0.5 + random()),
      );
    },
    stopDropping() {
      clearTimeout(timer);
    },
    dropAll() {
      for (const { client, upstream } of connections) {
        client.resetAndDestroy();
        upstream.destroy();
      }
    },
    refuse(matches, forMs) {
      refusing = { matches, until: Date.now() + forMs };
    },
    get refused() {
      return refused;
    },
    get drops() {
      return drops;
    },
    async close() {
      network.stopDropping();
      for (const { client, upstream } of connections) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return network;
}
