// Type declarations of strata-lsm's browser entry (index_browser.js) for pages (the `browser`
// condition): open() from a page returns the proxy of a database whose engine runs in the
// package's worker, unless worker: false runs it on the page's thread. Inside a worker (the
// `worker` condition) index_worker.d.ts declares open() as in-thread. The shared shapes are the
// Node entry's (index.d.cts).
import type {
  Database, ImageSource, OnProgress, OpenOptions, WorkerDatabase,
} from './index.cjs';
import { StrataError } from './index.cjs';

export type {
  Bytes, BatchOperation, ChainedBatch, CompactionFilter, CompactionOptions, CompactOptions, Database, DatabaseImage,
  DatabaseReadOptions, DropRangeOptions, Encoding, Entry, ExportOptions, FilterVerdict, ImageSource, IteratorOptions,
  KeyLike, LevelStats, OnProgress, OpenOptions, Progress, RangeOptions, ReadOptions, RecoveryReport, Snapshot, Stats,
  StrataErrorCode, StrataIterator, ValueLike, WorkerDatabase, WorkerDatabaseImage, WriteOptions,
} from './index.cjs';
export { StrataError };

/** Where a database is stored: 'auto' is OPFS where sync access handles exist (a dedicated
 * worker), else IndexedDB. A 'memory' database lives, by name, in the context that holds it (a
 * page's in the page's database worker, a worker's in that worker): close() and a later open()
 * find its data, listDatabases() lists it, until deleteDatabase(name) or the page or worker ends. */
export type BrowserBackend = 'auto' | 'opfs' | 'idb' | 'memory';
/** The backend a database runs on ('auto' resolved). */
export type StoredBackend = 'opfs' | 'idb' | 'memory';

export interface BrowserOpenOptions extends Omit<OpenOptions, 'backend' | 'worker'> {
  backend?: BrowserBackend;
  /** From a page: false runs the engine on the page's thread (IndexedDB or memory; single-threaded build). */
  worker?: boolean;
  /** Where the app serves bindings/js/src/browser_worker.js (default: beside the package's modules). */
  workerUrl?: string | URL;
  /** Where the app serves the .wasm: one URL, or one per build. */
  wasmUrl?: string | URL | { st?: string | URL; mt?: string | URL };
  /** How long (ms, 0..60000) a Web Lock released late (a reloading tab) is retried before STRATA_LOCKED. */
  lockTimeoutMs?: number;
  /** Share the database between tabs and workers: the Web Lock's holder serves the others, and a
   * waiting one takes over when it goes away (not with backend 'memory'). */
  multiTab?: boolean;
  /** Ask navigator.storage.persist() after the open (pages only); never fails the open: see `persisted`. */
  persist?: boolean;
  /** The OPFS backend's pool of open files (ignored by the other backends). */
  opfs?: OpfsPoolOptions;
}

/** The OPFS pool: files are held open in a pool that grows between requests. */
export interface OpfsPoolOptions {
  /** Open sync access handles at most, the two metadata files included (4..250, default 200; Safari allows 252 per page): caps the database's files at maxHandles - 2. */
  maxHandles?: number;
  /** Files opened with the database (1..maxHandles - 2, default 10). */
  initialSlots?: number;
  /** Free files kept ready (1..maxHandles - 2, default 8). */
  minFree?: number;
}

/** What every browser database adds: its backend and build ('mt': the pthreads build, on
 * cross-origin isolated pages). */
export interface BrowserInfo {
  readonly backend: StoredBackend;
  readonly build: 'st' | 'mt';
  /** With persist: true, whether the browser granted persistent storage (false: denied or unavailable in this context); undefined when not asked. */
  readonly persisted: boolean | undefined;
}

/** A database whose engine runs in this thread (inside a worker, or worker: false). */
export interface BrowserDatabase extends Database, BrowserInfo {}

/** The proxy open() returns on a page: the same API, but stats() is asynchronous and getSync and sizeOfSync throw. */
export interface PageDatabase extends WorkerDatabase, BrowserInfo {}

export interface BrowserImportOptions {
  backend?: BrowserBackend;
  /** Called after each piece of the image was written: bytes taken, of the image's length. */
  onProgress?: OnProgress;
  worker?: boolean;
  workerUrl?: string | URL;
  wasmUrl?: string | URL | { st?: string | URL };
  lockTimeoutMs?: number;
  opfs?: OpfsPoolOptions;
}
export interface DeleteOptions { lockTimeoutMs?: number }

export function open(name: string, options: BrowserOpenOptions & { worker: false }): Promise<BrowserDatabase>;
export function open(name: string, options?: BrowserOpenOptions): Promise<PageDatabase>;
/** Creates database `name` (missing or empty on that backend) from an image; durable once it resolves.
 * A damaged or truncated image is STRATA_CORRUPTION and leaves nothing behind. */
export function importDatabase(name: string, image: ImageSource, options?: BrowserImportOptions): Promise<void>;
/** Removes a closed database from every backend that has it (this context's memory databases
 * too); true when one had it. STRATA_LOCKED while it is open. */
export function deleteDatabase(name: string, options?: DeleteOptions): Promise<boolean>;
/** The names of the databases this origin stores (OPFS and IndexedDB) and of this context's
 * memory databases, sorted, each once. */
export function listDatabases(): Promise<string[]>;

declare const _default: {
  open: typeof open; importDatabase: typeof importDatabase; deleteDatabase: typeof deleteDatabase;
  listDatabases: typeof listDatabases; StrataError: typeof StrataError;
};
export default _default;

// Used by the package's own worker script (browser_worker.js), not by apps.
/** @internal */ export function openHere(name: string, options?: BrowserOpenOptions): Promise<BrowserDatabase>;
/** @internal */ export function importHere(name: string, image: ImageSource, options?: BrowserImportOptions): Promise<StoredBackend>;
/** @internal */ export function serveImport(request: { name: string; options: object }, port: unknown): Promise<void>;
/** @internal */ export function checkName(name: unknown, what?: string): string;

