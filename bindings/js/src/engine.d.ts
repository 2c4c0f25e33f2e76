// Types of strata-lsm/engine: the WebAssembly engine itself (version, xxh3), below the database API.
export class Engine {
  readonly variant: 'st' | 'mt';
  /** The engine's version, e.g. "0.1.0". */
  version(): string;
  /** xxh3-64 of the bytes as 16 hex digits (the format of `strata xxh3`). */
  xxh3(bytes: Uint8Array): string;
  /** Ends the pthread pool so the process can exit; the engine is unusable afterwards. */
  unload(): void;
}
/** Loads an instance of the single-threaded build, or with `threads: true` the pthreads build. */
export function loadEngine(options?: { threads?: boolean }): Promise<Engine>;
/** The limits and defaults of include/strata_limits.h as built (KEY_MAX, VALUE_MAX, ...). */
export function engineConstants(options?: { threads?: boolean }): Promise<Readonly<Record<string, number>>>;
/** An instance of the Emscripten module (for the package's own modules and tests). */
export function loadModule(options?: { threads?: boolean; moduleArgs?: Record<string, unknown>; moduleUrl?: string }): Promise<{ module: unknown; variant: 'st' | 'mt' }>;
