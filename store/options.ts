import type { Collection, Db } from 'mongodb';
import type { OptionInput, RedemptionOption } from '../domain/options';
import { duplicateKeyIndex } from './duplicate-key';
import { confirmNothingFound } from './outage';

type OptionDocument = Omit<RedemptionOption, 'id'> & { _id: number };

export class Options {
  private readonly options: Collection<OptionDocument>;

  constructor(db: Db) {
    this.options = db.collection<OptionDocument>('redemption_options');
  }

  /** Ids are small integers (Deliverect's programId, Yotpo's redemption_option_id): next after the highest, raced by _id. */
  async create(input: OptionInput): Promise<RedemptionOption> {
    for (;;) {
      const highest = await this.options.findOne({}, { sort: { _id: -1 }, projection: { _id: 1 } });
      const document: OptionDocument = { _id: (highest?._id ?? 0) + 1, ...input, created_at: new Date().toISOString() };
      try {
        await this.options.insertOne(document);
        return toOption(document);
      } catch (error) {
        if (duplicateKeyIndex(error) === undefined) throw error;
      }
    }
  }

  /** The option; null only once the store shows the collection (see confirmNothingFound). */
  async get(id: number): Promise<RedemptionOption | null> {
    const document = await this.options.findOne({ _id: id });
    if (!document) await confirmNothingFound(this.options);
    return document ? toOption(document) : null;
  }

  /** The whole catalogue, by id; catalogues are small (tens of rewards). */
  async all(): Promise<RedemptionOption[]> {
    return (await this.options.find({}, { sort: { _id: 1 } }).toArray()).map(toOption);
  }

  async list(page: { skip: number; limit: number; sort: Record<string, 1 | -1> }) {
    const [documents, total] = await Promise.all([
      this.options.find({}, { sort: page.sort, skip: page.skip, limit: page.limit }).toArray(),
      this.options.countDocuments({}),
    ]);
    return { items: documents.map(toOption), total };
  }
}

function toOption({ _id, ...rest }: OptionDocument): RedemptionOption {
  return { id: _id, ...rest };
}
