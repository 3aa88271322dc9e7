/** The reward catalogue: the redemption options merchants add, and list or read. */
import type { Db } from 'mongodb';
import type { OptionInput, RedemptionOption } from '../domain/options';
import { Options } from '../store/options';

export class Catalogue {
  private readonly options: Options;

  constructor(deps: { db: Db }) {
    this.options = new Options(deps.db);
  }

  add(input: OptionInput): Promise<RedemptionOption> {
    return this.options.create(input);
  }

  list(page: { skip: number; limit: number; sort: Record<string, 1 | -1> }) {
    return this.options.list(page);
  }

  /** The option, or null when the catalogue has none with that id. */
  get(id: number): Promise<RedemptionOption | null> {
    return this.options.get(id);
  }
}
