/**
 * Writes queued per key in this process: each runs once every write queued before it under the same key has settled,
 * whether that one succeeded or failed. Writers in other processes are not queued here; what keeps them apart is the
 * store's (store/redemptions.ts and store/numbered-log.ts say what it is).
 */
export class WriteQueue {
  /** The last queued write of each key, settled either way; a key leaves once its last write has settled. */
  private readonly last = new Map<string, Promise<unknown>>();

  run<T>(key: string, write: () => Promise<T>): Promise<T> {
    const result = (this.last.get(key) ?? Promise.resolve()).then(write);
    const settled = result.catch(() => undefined);
    this.last.set(key, settled);
    void settled.then(() => {
      if (this.last.get(key) === settled) this.last.delete(key);
    });
    return result;
  }
}
