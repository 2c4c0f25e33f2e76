// Type declarations of strata-lsm for `require` (index.cjs); index.d.ts re-exports them for
// `import` (index.js), which adds the default export. The two entries export the same names.

export type Bytes = Uint8Array;
export type KeyLike = string | Uint8Array | ArrayBufferView;
export type ValueLike = string | Uint8Array | ArrayBufferView;
export type Encoding = 'utf8' | 'buffer' | 'view';

export type StrataErrorCode =
  | 'STRATA_NOT_FOUND' | 'STRATA_CORRUPTION' | 'STRATA_IO' | 'STRATA_INVALID_ARGUMENT'
  | 'STRATA_NOT_SUPPORTED' | 'STRATA_LOCKED' | 'STRATA_NO_MEMORY' | 'STRATA_EXISTS'
  | 'STRATA_NOT_OPEN' | 'STRATA_BUSY' | 'STRATA_QUOTA';

export class StrataError extends Error {
  readonly code: StrataErrorCode;
  constructor(code: StrataErrorCode, message: string, options?: { cause?: unknown });
}

export interface OpenOptions {
  /** Create the folder's database when missing (default true). */
  createIfMissing?: boolean;
  /** Fail with STRATA_EXISTS when a database is already there (default false). */
  errorIfExists?: boolean;
  /** Bytes of the active memtable before it is sealed and flushed. */
  memtableSize?: number;
  /** Bytes of the block cache. */
  blockCacheSize?: number;
  compression?: 'lz4' | 'none';
  bloomBitsPerKey?: number;
  /** Sealed memtables that may wait for their flush before a write waits for (or, without
   * threads, runs) one: integer 0 .. 1024, default 1. */
  maxSealedMemtables?: number;
  /** fsync every write (default false; per call: { sync: true }). */
  sync?: boolean;
  /** Flushes and compactions also put the blocks they write in the block cache, while it has room
   * for them without evicting a block read (default true: here a cache miss is a call into
   * JavaScript and a file read, so the first reads of new data would pay it for every block). The
   * cache then fills to blockCacheSize while writing; false leaves it to readers. */
  cacheWrittenBlocks?: boolean;
  /** Use the pthreads build with background flush and compaction threads. */
  threads?: boolean;
  /** Run the engine in a worker_threads Worker (then stats() returns a promise). */
  worker?: boolean;
  /** 'fs' (default) or 'memory' (same as location ':memory:'). */
  backend?: 'fs' | 'memory';
  valueEncoding?: Encoding;
  keyEncoding?: Encoding;
  /** Compaction strategy and its knobs (default: leveled with the engine's defaults). */
  compaction?: CompactionOptions;
  /** Key-value separation (off by default; fixed when the database is created, in its manifest:
   * a separated database opened without this option stays separated with the defaults; asking for
   * it on a database created without it fails). true = lsm-tree's defaults. */
  kvSeparation?: boolean | KvSeparationOptions;
  /**
   * What open does with a damaged journal (a torn tail of the newest journal is always cut).
   * 'strict' (default): fail with STRATA_CORRUPTION naming the journal, offset and later batches.
   * 'point-in-time': open at the last consistent point; everything after it goes to `lost/`.
   */
  recoveryMode?: 'strict' | 'point-in-time';
  /**
   * Called for each value a compaction rewrites (never for a delete), on the calling thread, with
   * the database's encodings; synchronous, and it must not use the database. Not with `worker: true`
   * (STRATA_NOT_SUPPORTED). A filter that throws keeps the entry; the next compact() reports it.
   */
  compactionFilter?: CompactionFilter;
}

/** What a compaction filter decides for one entry: keep it (undefined or 'keep'), remove it, or replace its value. */
export type FilterVerdict = undefined | 'keep' | 'remove' | { replace: ValueLike };
export type CompactionFilter = (key: Bytes | string, value: Bytes | string) => FilterVerdict;

/**
 * One report of long work (compact, ingest, export and importDatabase take the same option):
 * bytes of input. `bytesTotal` may grow while the work finds more; `bytesDone <= bytesTotal`, and
 * the last report of work that succeeded has `bytesDone === bytesTotal`.
 */
export interface Progress { bytesDone: number; bytesTotal: number }
export type OnProgress = (progress: Progress) => void;
export interface IngestOptions { onProgress?: OnProgress }

/** Knobs every strategy takes. Omitted knobs keep the engine's defaults. */
export interface CompactionCommon {
  /** Flushes and compactions split their output into tables of about this many bytes (default 64 MiB). */
  tableTargetSize?: number;
  /** Writes slow down at `slowdown` level-0 tables and stop at `stop` (defaults 20 and 30; stop >= slowdown). */
  level0Stall?: { slowdown?: number; stop?: number };
}
/** Level 0 is merged down at `level0Trigger` tables (default 4); each level holds `levelRatio` (> 1, default 10) times the one above. */
export interface LeveledCompaction extends CompactionCommon {
  strategy: 'leveled';
  level0Trigger?: number;
  levelRatio?: number;
}
/** Size-tiered: `runTrigger` (>= 1, default 4) runs of similar size (within 1 + `sizeRatio`, default 1) are merged; everything is merged once newer runs exceed `maxSpaceAmplificationPercent` (default 200) % of the oldest. */
export interface TieredCompaction extends CompactionCommon {
  strategy: 'tiered';
  runTrigger?: number;
  sizeRatio?: number;
  maxSpaceAmplificationPercent?: number;
}
/** The oldest tables are dropped beyond `limitBytes` (0 = no limit) or when older than `ttlMs` (0 = none). Nothing is merged. */
export interface FifoCompaction extends CompactionCommon {
  strategy: 'fifo';
  limitBytes?: number;
  ttlMs?: number;
}
export interface KvSeparationOptions {
  /** Values of at least this many bytes go to blob files (default 1024). */
  threshold?: number;
  /** A blob file is finished at about this size (default 64 MiB). */
  fileTargetSize?: number;
  compression?: 'lz4' | 'none';
  /** Relocate a blob file once this share of it is garbage (0, 1] (default 0.25) ... */
  stalenessThreshold?: number;
  /** ... if it is among this oldest fraction of the blob files (0, 1] (default 0.25). */
  ageCutoff?: number;
}

export type CompactionOptions = LeveledCompaction | TieredCompaction | FifoCompaction;

export interface CompactOptions {
  /** true: flush, then merge every table into one run in the last level, dropping deleted keys and versions no snapshot needs. false (default): run the strategy's pending compactions. */
  major?: boolean;
  /** Reports as the merges read their input (C strata_compact_with_progress). */
  onProgress?: OnProgress;
}

export interface WriteOptions { sync?: boolean }
export interface ReadOptions { valueEncoding?: Encoding }
/** db.get/getMany/has: read at a snapshot of this same database (another one's: STRATA_INVALID_ARGUMENT). */
export interface DatabaseReadOptions extends ReadOptions { snapshot?: Snapshot }

export type BatchOperation =
  | { type: 'put'; key: KeyLike; value: ValueLike }
  | { type: 'del'; key: KeyLike }
  /** C strata_single_delete: cancels exactly one value (a key written once since its last delete). */
  | { type: 'singleDel'; key: KeyLike };

/** db.batch() with no arguments: operations collected, then written atomically by write(). */
export interface ChainedBatch {
  readonly length: number;
  put(key: KeyLike, value: ValueLike): this;
  del(key: KeyLike): this;
  singleDel(key: KeyLike): this;
  clear(): this;
  write(options?: WriteOptions): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The range of dropRange (no limit, no direction). */
export interface DropRangeOptions {
  gt?: KeyLike; gte?: KeyLike; lt?: KeyLike; lte?: KeyLike;
  prefix?: KeyLike;
}

export interface RangeOptions {
  gt?: KeyLike; gte?: KeyLike; lt?: KeyLike; lte?: KeyLike;
  prefix?: KeyLike;
  reverse?: boolean;
  /** At most this many entries (default: no limit). */
  limit?: number;
}

export interface IteratorOptions extends RangeOptions {
  snapshot?: Snapshot;
  /** Once aborted, next/nextv/all reject with an error named 'AbortError' (code 'ABORT_ERR'). */
  signal?: AbortSignal;
  keys?: boolean;
  values?: boolean;
  keyEncoding?: Encoding;
  valueEncoding?: Encoding;
}

export interface StrataIterator<T> extends AsyncIterable<T> {
  next(): Promise<T | undefined>;
  nextv(size: number): Promise<T[]>;
  all(): Promise<T[]>;
  seek(target: KeyLike): void;
  close(): Promise<void>;
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined>;
  [Symbol.asyncDispose](): Promise<void>;
}

export type Entry<K = Bytes | string, V = Bytes | string> = [K, V];

export interface Reader {
  get(key: KeyLike, options?: ReadOptions): Promise<Bytes | string | undefined>;
  getMany(keys: KeyLike[], options?: ReadOptions): Promise<Array<Bytes | string | undefined>>;
  has(key: KeyLike): Promise<boolean>;
  hasMany(keys: KeyLike[]): Promise<boolean[]>;
  /** The value's length in bytes, undefined when absent; a value in a blob file (kvSeparation) is
   * measured from its handle, without reading the blob. */
  sizeOf(key: KeyLike): Promise<number | undefined>;
  iterator(options?: IteratorOptions): StrataIterator<Entry>;
  keys(options?: IteratorOptions): StrataIterator<Bytes | string>;
  values(options?: IteratorOptions): StrataIterator<Bytes | string>;
}

export interface Snapshot extends Reader {
  /** get() without a promise (in-thread databases). */
  getSync(key: KeyLike, options?: ReadOptions): Bytes | string | undefined;
  /** sizeOf() without a promise (in-thread databases). */
  sizeOfSync(key: KeyLike): number | undefined;
  close(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface LevelStats { level: number; tables: number; runs: number; bytes: number }

export interface Stats {
  levels: LevelStats[];
  memtable: { bytes: number; sealed: number };
  cache: { hits: number; misses: number; bytes: number };
  bytesWritten: { user: number; flush: number; compaction: number };
  /** Input of compaction merges. */
  bytesRead: { compaction: number };
  /** The engine's: (flush + compaction bytes) / user bytes; 0 before the first write. */
  writeAmplification: number;
  flushes: number;
  /** Merges, moves and drops installed. */
  compactions: number;
  writeStalls: number;
  /** Writes delayed because level 0 was over the slowdown mark. */
  writeSlowdowns: number;
  seqno: number;
  snapshotsOpen: number;
  versionsAlive: number;
  /** Browsers, OPFS backend only: its pool of open files. refusals counts creates that found no
   * file free and whose call waited for the pool and ran again (STRATA_BUSY, never seen by the caller). */
  opfs?: { slots: number; free: number; files: number; openHandles: number; maxHandles: number; generation: number; refusals: number };
  /** Key-value separation (all 0 without it). */
  blobs: {
    files: number;
    bytes: number;
    /** Record bytes no table points to any more. */
    staleBytes: number;
    /** Values read from blob files (blob cache misses). */
    reads: number;
    /** Live bytes garbage collection copied out of stale files. */
    relocatedBytes: number;
    reclaimedFiles: number;
    reclaimedBytes: number;
  };
  /** The engine instance this database runs on: the databases open on it, this one included
   * (1 in Node, where each database has its own; in browsers every database of a worker). */
  engine: { databases: number };
}

/** What the open's recovery found and did (strata_recovery_report). */
export interface RecoveryReport {
  readonly journalsReplayed: number;
  readonly batchesReplayed: number;
  /** Bytes of an incomplete last record cut from the newest journal. */
  readonly tornBytesCut: number;
  /** Damage was found (only with recoveryMode 'point-in-time'; strict opens fail instead). */
  readonly damaged: boolean;
  readonly damagedJournal: number;
  readonly damagedOffset: number;
  /** Intact batches after the damage, set aside in lost/. */
  readonly batchesDiscarded: number;
  /** The highest seqno found in any journal, replayed or not; new writes continue above it. */
  readonly highestSeqnoSeen: number;
  readonly manifestFallback: boolean;
  readonly filesMovedToLost: number;
  readonly obsoleteFilesRemoved: number;
}

export interface ExportOptions {
  /** Bytes per chunk, 1 .. 64 MiB (default 1 MiB). */
  chunkSize?: number;
  /** Called after each chunk: bytes of the image read, of its length (known from the start). */
  onProgress?: OnProgress;
}
/** A database image (docs/IMAGE.md) pinned when db.export() was called: later writes are not in it. */
export interface DatabaseImage extends AsyncIterableIterator<Uint8Array> {
  /** The image's length in bytes. */
  readonly total: number;
  /** Bytes read so far. */
  readonly done: number;
  /** The next chunk (a copy), or null once the image is complete. */
  read(): Uint8Array | null;
  /** The chunks as a ReadableStream. */
  stream(): ReadableStream<Uint8Array>;
  /** Ends the pin (also done by reading to the end, by return(), and by closing the database). */
  close(): Promise<void>;
}
export interface ImportOptions {
  /** Called after each piece of the image was written: bytes taken, of the image's length. */
  onProgress?: OnProgress;
}
/** An image as importDatabase() takes it. */
export type ImageSource =
  | Uint8Array | ArrayBuffer | ArrayBufferView
  | Iterable<Uint8Array> | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface Database extends Reader {
  readonly location: string;
  /** What recovery did when this handle was opened. */
  readonly recovery: RecoveryReport;
  readonly status: 'open' | 'closing' | 'closed';
  get(key: KeyLike, options?: DatabaseReadOptions): Promise<Bytes | string | undefined>;
  getMany(keys: KeyLike[], options?: DatabaseReadOptions): Promise<Array<Bytes | string | undefined>>;
  has(key: KeyLike, options?: { snapshot?: Snapshot }): Promise<boolean>;
  hasMany(keys: KeyLike[], options?: { snapshot?: Snapshot }): Promise<boolean[]>;
  /** get() on the calling thread, without a promise (in-thread databases; a worker database throws STRATA_NOT_SUPPORTED). */
  getSync(key: KeyLike, options?: DatabaseReadOptions): Bytes | string | undefined;
  sizeOf(key: KeyLike, options?: { snapshot?: Snapshot }): Promise<number | undefined>;
  /** sizeOf() on the calling thread, without a promise (in-thread databases; a worker database throws STRATA_NOT_SUPPORTED). */
  sizeOfSync(key: KeyLike, options?: { snapshot?: Snapshot }): number | undefined;
  put(key: KeyLike, value: ValueLike, options?: WriteOptions): Promise<void>;
  del(key: KeyLike, options?: WriteOptions): Promise<void>;
  /** C strata_single_delete: a weak tombstone cancelling exactly one value (RocksDB's SingleDelete). */
  singleDel(key: KeyLike, options?: WriteOptions): Promise<void>;
  batch(operations: BatchOperation[], options?: WriteOptions): Promise<void>;
  batch(): ChainedBatch;
  snapshot(): Snapshot;
  /** Every key in the range is deleted when it resolves (whole tables inside the range are dropped first). */
  clear(options?: RangeOptions): Promise<void>;
  /** C strata_drop_range: drops the tables lying wholly inside the range; not exact (see clear). */
  dropRange(options?: DropRangeOptions): Promise<void>;
  flush(): Promise<void>;
  /** Bulk ingestion of [key, value] pairs in ascending key order into a database that holds no
   * tables yet (straight into last-level tables, skipping journal and memtable); entries are
   * older than every write. Resolves to the number of entries loaded. `onProgress` counts key and
   * value bytes handed to the engine, after each chunk and once at the end; `bytesTotal` is an
   * array's sum of key and value bytes, and equals `bytesDone` for another iterable (its length is
   * unknown until it ends). */
  ingest(entries: Iterable<[KeyLike, ValueLike]> | AsyncIterable<[KeyLike, ValueLike]>, options?: IngestOptions): Promise<number>;
  /** strata_resume: retries failed background work (a full disk with room again, ...) now; rejects while the error persists. */
  resume(): Promise<void>;
  /** strata_compact: the strategy's pending compactions, or with { major: true } everything into one run in the last level. */
  compact(options?: CompactOptions): Promise<void>;
  stats(): Stats;
  /** The database as one image file, pinned now (writes continue meanwhile): chunks to read. */
  export(options?: ExportOptions): DatabaseImage;
  /** The image as one Uint8Array. */
  exportBytes(options?: ExportOptions): Promise<Uint8Array>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** db.export() through a worker: chunks are read asynchronously, one message each (no read()). */
export interface WorkerDatabaseImage extends AsyncIterableIterator<Uint8Array> {
  /** The image's length in bytes, known once the first chunk was asked for. */
  readonly total: number | undefined;
  /** Bytes read so far. */
  readonly done: number;
  stream(): ReadableStream<Uint8Array>;
  close(): Promise<void>;
}

/** The database behind open(location, { worker: true }): the same, but stats() is asynchronous,
 * export() is read asynchronously (onProgress runs on the caller's side), and exportBytes()
 * takes no onProgress (functions do not cross). */
export interface WorkerDatabase extends Omit<Database, 'stats' | 'getSync' | 'sizeOfSync' | 'export' | 'exportBytes'> {
  stats(): Promise<Stats>;
  export(options?: ExportOptions): WorkerDatabaseImage;
  exportBytes(options?: { chunkSize?: number }): Promise<Uint8Array>;
  /** Always throws STRATA_NOT_SUPPORTED: a worker answers asynchronously. */
  getSync(key: KeyLike, options?: DatabaseReadOptions): never;
  /** Always throws STRATA_NOT_SUPPORTED: a worker answers asynchronously. */
  sizeOfSync(key: KeyLike, options?: { snapshot?: Snapshot }): never;
}

export function open(location: string, options: OpenOptions & { worker: true }): Promise<WorkerDatabase>;
export function open(location: string, options?: OpenOptions): Promise<Database>;

/** What repairDatabase() kept and lost (the fields of the C strata_repair_report). */
export interface RepairReport {
  tablesFound: number;
  tablesKept: number;
  tablesDamaged: number;
  tablesObsolete: number;
  tablesMerged: number;
  tablesWritten: number;
  journalsRead: number;
  journalBatchesSalvaged: number;
  journalBatchesLost: number;
  journalBytesLost: number;
  journalTornBytes: number;
  manifestSlotsDamaged: number;
  filesMovedToLost: number;
  entries: number;
  highestSeqno: number;
  /** kvSeparation: blob files found, kept, damaged, obsolete and unreferenced (the last three moved to lost/). */
  blobFilesFound: number;
  blobFilesKept: number;
  blobFilesDamaged: number;
  blobFilesObsolete: number;
  blobFilesUnreferenced: number;
  /** Tables with values in missing or damaged blob files: rewritten (the originals moved to lost/). */
  tablesRewritten: number;
  /** Those values: each entry became a delete, never an older or wrong value. */
  blobValuesLost: number;
  /** One line per file repair acted on. */
  log: string[];
}

/** Rebuilds a database that no longer opens from the files that verify (the database must be closed). */
export function repairDatabase(location: string, options?: Record<string, never>): Promise<RepairReport>;

/** Creates the database in `location` (a missing or empty folder) from an image (db.export(), `strata export`); a damaged or truncated image is STRATA_CORRUPTION and leaves nothing behind. */
export function importDatabase(location: string, image: ImageSource, options?: ImportOptions): Promise<void>;

