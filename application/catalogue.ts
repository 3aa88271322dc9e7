/** The reward catalogue: the redemption options merchants add, and list or read. */
import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import type { OptionInput, RedemptionOption } from '../domain/options';
import { Options } from '../store/options';

export class Catalogue {
  private readonly options: Options;
  /**
   * Options read, by id, for OPTIONS_CACHE_MS: each Create Redemption, quote and order names one, and the catalogue
   * holds tens. Only a found option is kept, so one added since is found at once.
   */
  private readonly read = new Map<number, { option: RedemptionOption; at: number }>();
  private readonly cacheMs: number;

  constructor(deps: { db: Db; config: Pick<Config, 'optionsCacheMs'> }) {
    this.options = new Options(deps.db);
    this.cacheMs = deps.config.optionsCacheMs;
  }

  add(input: OptionInput): Promise<RedemptionOption> {
    return this.options.create(input);
  }

  list(page: { skip: number; limit: number; sort: Record<string, 1 | -1> }) {
    return this.options.list(page);
  }

  /** The option, or null when the catalogue has none with that id. */
  async get(id: number): Promise<RedemptionOption | null> {
    const known = this.read.get(id);
    if (known && Date.now() - known.at < this.cacheMs) return known.option;
    const option = await this.options.get(id);
    if (option) this.read.set(id, { option, at: Date.now() });
    else this.read.delete(id);
    return option;
  }
}
