// Types of strata-lsm/level: an abstract-level database over strata-lsm.
import { AbstractDatabaseOptions, AbstractLevel } from 'abstract-level';
import type { OpenOptions, Stats } from './index.js';

export interface StrataLevelOptions<K, V> extends AbstractDatabaseOptions<K, V>,
  Omit<OpenOptions, 'keyEncoding' | 'valueEncoding' | 'createIfMissing' | 'errorIfExists'> {}

export class StrataLevel<KDefault = string, VDefault = string>
  extends AbstractLevel<Uint8Array | string, KDefault, VDefault> {
  constructor(location: string, options?: StrataLevelOptions<KDefault, VDefault>);
  readonly location: string;
  flush(): Promise<void>;
  compact(options?: { major?: boolean }): Promise<void>;
  stats(): Stats;
}

export default StrataLevel;
