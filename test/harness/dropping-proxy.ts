/**
 * A TCP proxy in front of a real server that resets, once armed, the next connection carrying bytes that match: what a
 * client sees when the network or the server drops a connection in the middle of one particular command.
 */
import net from 'node:net';

export interface DroppingProxy {
  port: number;
  /** Resets the next connection whose client sends a chunk for which `matches` is true, before the server sees it. */
  dropNext(matches: (chunk: Buffer) => boolean): void;
  /**
   * Swallows, from the next chunk for which `matches` is true, everything that connection's client sends, and keeps
   * it open: a connection lost without a word, on which the client waits for an answer for ever.
   */
  stallNext(matches: (chunk: Buffer) => boolean): void;
  /** Connections reset so far. */
  readonly drops: number;
  close(): Promise<void>;
}

export async function startDroppingProxy(target: { host: string; port: number }): Promise<DroppingProxy> {
  let armed: ((chunk: Buffer) => boolean) | undefined;
  let stalling: ((chunk: Buffer) => boolean) | undefined;
  const stalled = new WeakSet<net.Socket>();
  let drops = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      if (stalled.has(client)) return;
      if (stalling?.(chunk)) {
        stalling = undefined;
        stalled.add(client);
        return;
      }
      if (armed?.(chunk)) {
        armed = undefined;
        drops++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    dropNext(matches) {
      armed = matches;
    },
    stallNext(matches) {
      stalling = matches;
    },
    get drops() {
      return drops;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
