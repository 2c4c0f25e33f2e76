// Types of strata-lsm/level for `require` (level.cjs): an abstract-level database over
// strata-lsm. level.d.ts re-exports them for `import` (level.js).
import { AbstractDatabaseOptions, AbstractLevel } from 'abstract-level';
import type { CompactOptions, KeyLike, OpenOptions, Stats } from './index.cjs';

export interface StrataLevelOptions<K, V> extends AbstractDatabaseOptions<K, V>,
  Omit<OpenOptions, 'keyEncoding' | 'valueEncoding' | 'createIfMissing' | 'errorIfExists'> {}

/** The range of dropRange, in the database's key encoding (abstract-level's range rules: gte wins over gt, lte over lt). */
export interface StrataLevelDropRangeOptions<K> {
  gt?: K; gte?: K; lt?: K; lte?: K;
  keyEncoding?: string;
}

export class StrataLevel<KDefault = string, VDefault = string>
  extends AbstractLevel<Uint8Array | string, KDefault, VDefault> {
  constructor(location: string, options?: StrataLevelOptions<KDefault, VDefault>);
  readonly location: string;
  flush(): Promise<void>;
  compact(options?: CompactOptions): Promise<void>;
  stats(): Stats;
  /** C strata_single_delete: cancels exactly one value of the key. */
  singleDel(key: KDefault, options?: { sync?: boolean; keyEncoding?: string }): Promise<void>;
  /** C strata_drop_range: drops the tables lying wholly inside the range (not exact; clear() is). */
  dropRange(options?: StrataLevelDropRangeOptions<KDefault>): Promise<void>;
}
export type { KeyLike };

export default StrataLevel;
