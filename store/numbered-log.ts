/**
 * An append-only log per key, exact under concurrency without atomic updates: the pattern of the points ledger,
 * shared with the redemption limits' usage.
 *
 * FerretDB v1 does not make update/findAndModify atomic, and neither server gives us transactions here, so nothing
 * is ever updated in place. A log's entries are numbered 1, 2, 3…, and the n-th one has the _id `<log>/<n>`: of two
 * writers racing for the next number exactly one can insert it, and the loser re-reads and tries again (optimistic
 * concurrency). A unique index on the idempotency key makes writing a key twice have the effect of once. Each entry
 * carries the running state after it, so a log's state is that of its newest entry.
 *
 * Cost does not grow with history: every read is by _id or by the idempotency key. The heads collection remembers
 * each log's newest entry; it is only a hint (it may lag after a crash, never lead), because the insert of the next
 * number is what proves the head.
 */
import type { Collection, Filter, OptionalUnlessRequiredId, WithoutId } from 'mongodb';
import { duplicateKeyIndex } from './duplicate-key';
import { confirmNothingFound } from './outage';
import { WriteQueue } from './write-queue';

export interface NumberedEntry {
  /** `<log>/<seq>`. */
  _id: string;
  seq: number;
  idempotency_key: string;
}

/** One append: the entry that would follow the head, why it may not, and whether an earlier entry is the same one. */
export interface LogAppend<E, H> {
  log: string;
  idempotencyKey: string;
  next(head: H, createdAt: Date): E;
  /** The error to throw when `entry` may not follow `head` (the log has no room for it); undefined when it may. */
  refusal(entry: E, head: H): Error | undefined;
  /** Throws when the entry already written under this idempotency key is not the one asked for. */
  checkEarlier(existing: E): void;
  /** The head the caller read a moment ago, instead of reading the hint again; an insert proves it stale or not. */
  knownHead?: H | undefined;
}

export interface NumberedLogSettings<H> {
  /** The state of a log without entries. */
  empty: H;
  /** What the heads collection keeps of an entry (its seq and running state). */
  headOf(entry: H): H;
  contentionError(log: string, attempts: number): Error;
  /** Told of every append that lost a race for the log's next number and tries again (for metrics). */
  contentionRetry?(): void;
}

const MAX_ATTEMPTS = 64;

export function numberedEntryId(log: string, seq: number): string {
  return `${log}/${seq}`;
}

/** Entries per block: a page of a log reads the few blocks that hold it, whatever the log's length. */
export const BLOCK_SIZE = 50;

/** The number of the block that holds entry `seq`: 0 for entries 1 to BLOCK_SIZE, and so on. */
export function blockNumberOf(seq: number): number {
  return Math.floor((seq - 1) / BLOCK_SIZE);
}

/** The block (`<log>/<n>`) that holds a log's entry `seq`. */
export function blockOf(log: string, seq: number): string {
  return blockId(log, blockNumberOf(seq));
}

/** A log's block number `n`. */
export function blockId(log: string, n: number): string {
  return `${log}/${n}`;
}

/**
 * Entries `from` to `to` of a log, in the order asked, read as the blocks that hold them: entry numbers are dense, so
 * a page is a known range of numbers.
 */
export async function readRange<E extends { seq: number }>(
  log: string,
  from: number,
  to: number,
  readBlock: (block: string) => Promise<E[]>,
  order: 'oldest first' | 'newest first',
): Promise<E[]> {
  if (from > to) return [];
  const blocks = new Set<string>();
  for (let seq = from; seq <= to; seq += BLOCK_SIZE) blocks.add(blockOf(log, seq));
  blocks.add(blockOf(log, to));
  const found = await Promise.all([...blocks].map(readBlock));
  return found
    .flat()
    .filter((entry) => entry.seq >= from && entry.seq <= to)
    .sort((a, b) => (order === 'oldest first' ? a.seq - b.seq : b.seq - a.seq));
}

/**
 * A log's newest entry, from one known to be written (its head hint, which may lag but never leads): forward past
 * whatever was written after it. `after` reads what follows the newest so far: the next entry, or the block that holds
 * it.
 */
export async function readForward<H extends { seq: number }>(known: H, after: (newest: H) => Promise<H[]>): Promise<H> {
  let newest = known;
  for (;;) {
    const further = (await after(newest)).filter((entry) => entry.seq > newest.seq);
    if (further.length === 0) return newest;
    newest = further.reduce((furthest, entry) => (entry.seq > furthest.seq ? entry : furthest));
  }
}

type HeadDocument<H> = H & { _id: string };

/** Of two heads known to be written, the later one. */
function newer<H extends { seq: number }>(a: H | undefined, b: H | undefined): H | undefined {
  return a && b ? (a.seq >= b.seq ? a : b) : (a ?? b);
}

export class NumberedLog<E extends NumberedEntry & H, H extends { seq: number }> {
  /**
   * One log's appends from this process run one after another, so that they do not lose optimistic-concurrency races
   * to each other; writers in other processes are still kept honest by the entry numbers. While a log has appends
   * queued, they remember the newest entry one of them wrote: the next starts from it when the head its caller read is
   * older (read before the appends ahead of it ran), rather than losing the race for its number to each of them in turn.
   */
  private readonly appends = new WriteQueue<{ written?: H }>(() => ({}));

  constructor(
    private readonly entries: Collection<E>,
    private readonly heads: Collection<HeadDocument<H>>,
    private readonly settings: NumberedLogSettings<H>,
  ) {}

  /** The log's newest entry: the hint, then forward past anything written after it. */
  async head(log: string): Promise<H> {
    const head = await this.newestFrom(log, (await this.hint(log)) ?? this.settings.empty);
    // An empty log only once the store shows the collection: one that lists none of its collections finds nothing.
    if (head.seq === this.settings.empty.seq) await confirmNothingFound(this.entries);
    return head;
  }

  /** The newest entry the hint knows of: the head, or one behind it (a writer that died before moving the hint). */
  async hintedHead(log: string): Promise<H> {
    return (await this.hint(log)) ?? this.settings.empty;
  }

  private async hint(log: string): Promise<H | null> {
    return (await this.heads.findOne({ _id: log } as Filter<HeadDocument<H>>)) as H | null;
  }

  private newestFrom(log: string, known: H): Promise<H> {
    return readForward(known, async (newest) => {
      const next = await this.entries.findOne({ _id: numberedEntryId(log, newest.seq + 1) } as Filter<E>);
      return next ? [next as E] : [];
    });
  }

  /**
   * Appends one entry, or returns the entry already written under the same idempotency key; throws the request's
   * refusal when the entry may not follow the log's head.
   */
  async append(request: LogAppend<E, H>): Promise<{ entry: E; duplicate: boolean }> {
    return this.appends.run(request.log, (queue) => this.appendOnce(request, queue));
  }

  private async appendOnce(
    request: LogAppend<E, H>,
    queue: { written?: H },
  ): Promise<{ entry: E; duplicate: boolean }> {
    // The hint is trusted until an insert proves it stale; then the true head is found by reading forward.
    const known = newer(request.knownHead, queue.written);
    let head = known ?? (await this.hint(request.log)) ?? this.settings.empty;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const entry = request.next(head, new Date());
      const refusal = request.refusal(entry, head);
      if (refusal) {
        // A retried step whose entry was written before must get that entry back, not a refusal.
        const earlier = await this.earlierEntry(request);
        if (earlier) return earlier;
        const newest = await this.newestFrom(request.log, head);
        if (newest.seq === head.seq) {
          // A store that lists none of its collections finds no entries at all: it is down, the log is not empty.
          await confirmNothingFound(this.entries);
          throw refusal;
        }
        head = newest;
        continue;
      }
      try {
        await this.entries.insertOne(entry as OptionalUnlessRequiredId<E>);
        queue.written = entry;
        await this.rememberHead(request.log, entry);
        return { entry, duplicate: false };
      } catch (error) {
        if (duplicateKeyIndex(error) === undefined) throw error;
      }
      // Either this key was written before, or another writer took this number.
      const earlier = await this.earlierEntry(request);
      if (earlier) return earlier;
      this.settings.contentionRetry?.();
      head = await this.newestFrom(request.log, head);
      await this.rememberHead(request.log, head);
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 5)));
    }
    throw this.settings.contentionError(request.log, MAX_ATTEMPTS);
  }

  /** The entry written under this idempotency key, if any (a read of its unique index). */
  async entryWithKey(idempotencyKey: string): Promise<E | null> {
    return (await this.entries.findOne({ idempotency_key: idempotencyKey } as Filter<E>)) as E | null;
  }

  private async earlierEntry(request: LogAppend<E, H>): Promise<{ entry: E; duplicate: true } | undefined> {
    const existing = await this.entryWithKey(request.idempotencyKey);
    if (!existing) return undefined;
    request.checkEarlier(existing);
    return { entry: existing, duplicate: true };
  }

  /** Moves the hint; racing writers may leave it behind the true head, which only costs a read forward later. */
  private async rememberHead(log: string, head: H): Promise<void> {
    try {
      await this.heads.replaceOne(
        { _id: log } as Filter<HeadDocument<H>>,
        this.settings.headOf(head) as unknown as WithoutId<HeadDocument<H>>,
        {
          upsert: true,
        },
      );
    } catch (error) {
      if (duplicateKeyIndex(error) === undefined) throw error;
    }
  }
}
