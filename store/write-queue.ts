/**
 * Writes queued per key in this process: each runs once every write queued before it under the same key has settled,
 * whether that one succeeded or failed. Writers in other processes are not queued here; what keeps them apart is the
 * store's (store/redemptions.ts and store/numbered-log.ts say what it is). A key's writes share a state of the
 * caller's (`S`), made fresh for a key with none queued, and forgotten once its last write has settled.
 */
export class WriteQueue<S = undefined> {
  /** Per key with writes queued: the last of them, settled either way, and their state. */
  private readonly queues = new Map<string, { last: Promise<unknown>; state: S }>();

  constructor(private readonly freshState: () => S = () => undefined as S) {}

  run<T>(key: string, write: (state: S) => Promise<T>): Promise<T> {
    const queue = this.queues.get(key) ?? { last: Promise.resolve(), state: this.freshState() };
    const result = queue.last.then(() => write(queue.state));
    const settled = result.catch(() => undefined);
    queue.last = settled;
    this.queues.set(key, queue);
    void settled.then(() => {
      if (queue.last === settled) this.queues.delete(key);
    });
    return result;
  }
}
