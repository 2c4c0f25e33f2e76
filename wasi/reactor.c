/*
 * reactor.c -- the WASI library module (build/wasi/strata-reactor.wasm): the C API of
 * include/strata.h, exported for any WASI host (wasmtime, wasmer, node:wasi, a browser shim).
 *
 * A reactor has no main: the host instantiates it, calls `_initialize` once, then calls the
 * exported strata_* functions, `malloc` and `free` (CMakeLists.txt derives the export list from
 * the declarations in strata.h, so every function of the header is exported and nothing else).
 * docs/WASI.md is the ABI: how keys, values, handles, statuses and out-parameters cross.
 *
 * What this file holds is the part of that ABI a host hard-codes: the wasm32 layout of the
 * structs it reads or fills in memory. Each offset here is a row of docs/WASI.md's tables; a
 * change of strata.h that moves a field fails this build instead of breaking hosts silently.
 */
#include <stddef.h>

#include "strata.h"

#define ABI_AT(type, field, offset) _Static_assert(offsetof(type, field) == (offset), #type "." #field " moved")
#define ABI_SIZE(type, size) _Static_assert(sizeof(type) == (size), "sizeof(" #type ") changed")

_Static_assert(sizeof(void *) == 4 && sizeof(size_t) == 4 && sizeof(int) == 4, "the reactor is wasm32");
_Static_assert(sizeof(strata_code) == 4 && sizeof(strata_bound) == 4, "enums cross as i32");

/* strata_range: built by the host for strata_iterator_new / strata_drop_range */
ABI_AT(strata_range, lo_kind, 0);
ABI_AT(strata_range, lo, 4);
ABI_AT(strata_range, lo_len, 8);
ABI_AT(strata_range, hi_kind, 12);
ABI_AT(strata_range, hi, 16);
ABI_AT(strata_range, hi_len, 20);
ABI_SIZE(strata_range, 24);

/* strata_stats: filled by strata_get_stats */
ABI_AT(strata_stats, level_count, 0);
ABI_AT(strata_stats, levels, 8);
ABI_SIZE(strata_level_stats, 16);
ABI_AT(strata_level_stats, tables, 0);
ABI_AT(strata_level_stats, runs, 4);
ABI_AT(strata_level_stats, bytes, 8);
ABI_AT(strata_stats, memtable_bytes, 264);
ABI_AT(strata_stats, sealed_memtables, 272);
ABI_AT(strata_stats, cache_hits, 280);
ABI_AT(strata_stats, cache_misses, 288);
ABI_AT(strata_stats, cache_bytes, 296);
ABI_AT(strata_stats, bytes_written_user, 304);
ABI_AT(strata_stats, bytes_written_flush, 312);
ABI_AT(strata_stats, bytes_written_compaction, 320);
ABI_AT(strata_stats, flushes, 328);
ABI_AT(strata_stats, compactions, 336);
ABI_AT(strata_stats, write_stalls, 344);
ABI_AT(strata_stats, seqno, 352);
ABI_AT(strata_stats, snapshots_open, 360);
ABI_AT(strata_stats, versions_alive, 364);
ABI_AT(strata_stats, bytes_read_compaction, 368);
ABI_AT(strata_stats, write_slowdowns, 376);
ABI_AT(strata_stats, write_amplification, 384);
ABI_AT(strata_stats, blob_files, 392);
ABI_AT(strata_stats, blob_bytes, 400);
ABI_AT(strata_stats, blob_stale_bytes, 408);
ABI_AT(strata_stats, blob_reads, 416);
ABI_AT(strata_stats, blob_bytes_relocated, 424);
ABI_AT(strata_stats, blob_files_reclaimed, 432);
ABI_AT(strata_stats, blob_bytes_reclaimed, 440);
ABI_SIZE(strata_stats, 448);

/* strata_recovery_report: filled by strata_get_recovery_report */
ABI_AT(strata_recovery_report, journals_replayed, 0);
ABI_AT(strata_recovery_report, batches_replayed, 8);
ABI_AT(strata_recovery_report, torn_bytes_cut, 16);
ABI_AT(strata_recovery_report, damaged, 24);
ABI_AT(strata_recovery_report, damaged_journal, 32);
ABI_AT(strata_recovery_report, damaged_offset, 40);
ABI_AT(strata_recovery_report, batches_discarded, 48);
ABI_AT(strata_recovery_report, highest_seqno_seen, 56);
ABI_AT(strata_recovery_report, manifest_fallback, 64);
ABI_AT(strata_recovery_report, files_moved_to_lost, 68);
ABI_AT(strata_recovery_report, obsolete_files_removed, 72);
ABI_SIZE(strata_recovery_report, 80);

/* strata_repair_report: filled by strata_repair, released with strata_repair_report_clear */
ABI_AT(strata_repair_report, tables_found, 0);
ABI_AT(strata_repair_report, tables_kept, 4);
ABI_AT(strata_repair_report, tables_damaged, 8);
ABI_AT(strata_repair_report, tables_obsolete, 12);
ABI_AT(strata_repair_report, tables_merged, 16);
ABI_AT(strata_repair_report, tables_written, 20);
ABI_AT(strata_repair_report, journals_read, 24);
ABI_AT(strata_repair_report, journal_batches_salvaged, 32);
ABI_AT(strata_repair_report, journal_batches_lost, 40);
ABI_AT(strata_repair_report, journal_bytes_lost, 48);
ABI_AT(strata_repair_report, journal_torn_bytes, 56);
ABI_AT(strata_repair_report, manifest_slots_damaged, 64);
ABI_AT(strata_repair_report, files_moved_to_lost, 68);
ABI_AT(strata_repair_report, entries, 72);
ABI_AT(strata_repair_report, highest_seqno, 80);
ABI_AT(strata_repair_report, log, 88);
ABI_SIZE(strata_repair_report, 96);
