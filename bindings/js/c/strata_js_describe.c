/*
 * strata_js_describe.c -- the constants and struct layouts the JS package shares with C, handed
 * to it at load (strata_js_describe), so that JS reads them by name instead of repeating them:
 * status codes, storage open flags, the layouts of strata_stats, strata_level_stats,
 * strata_recovery_report, strata_repair_report and strata_js_compaction (built with offsetof
 * and sizeof, so they cannot drift from the headers), the batch wire format, and the limits and
 * defaults of strata_limits.h.
 */
#include <stddef.h>

#include "strata_js.h"

typedef struct entry {
  const char *name;
  double value; /* the constant, or the field's byte offset */
  int type;     /* STRATA_JS_T_* */
  int count;    /* array length (1 for a scalar) */
} entry;

#define CONST(name, v) {name, (double)(v), STRATA_JS_T_CONST, 1}
#define FIELD(s, f, t) {#f, (double)offsetof(s, f), t, 1}
#define SIZE(s) {"sizeof", (double)sizeof(s), STRATA_JS_T_CONST, 1}

static const entry codes[] = {
    CONST("STRATA_OK", STRATA_OK), CONST("STRATA_NOT_FOUND", STRATA_NOT_FOUND),
    CONST("STRATA_CORRUPTION", STRATA_CORRUPTION), CONST("STRATA_IO", STRATA_IO),
    CONST("STRATA_INVALID_ARGUMENT", STRATA_INVALID_ARGUMENT), CONST("STRATA_NOT_SUPPORTED", STRATA_NOT_SUPPORTED),
    CONST("STRATA_LOCKED", STRATA_LOCKED), CONST("STRATA_NO_MEMORY", STRATA_NO_MEMORY),
    CONST("STRATA_EXISTS", STRATA_EXISTS), CONST("STRATA_NOT_OPEN", STRATA_NOT_OPEN),
    CONST("STRATA_BUSY", STRATA_BUSY), CONST("STRATA_QUOTA", STRATA_QUOTA), {NULL, 0, 0, 0}};

static const entry open_flags[] = {
    CONST("READ", VFS_OPEN_READ), CONST("WRITE", VFS_OPEN_WRITE), CONST("CREATE", VFS_OPEN_CREATE),
    CONST("EXCLUSIVE", VFS_OPEN_EXCLUSIVE), CONST("TRUNCATE", VFS_OPEN_TRUNCATE), {NULL, 0, 0, 0}};

static const entry stats[] = {
    SIZE(strata_stats),
    FIELD(strata_stats, level_count, STRATA_JS_T_U32),
    {"levels", (double)offsetof(strata_stats, levels), STRATA_JS_T_LEVELS,
     (int)(sizeof((strata_stats *)0)->levels / sizeof(strata_level_stats))},
    FIELD(strata_stats, memtable_bytes, STRATA_JS_T_U64),
    FIELD(strata_stats, sealed_memtables, STRATA_JS_T_U32),
    FIELD(strata_stats, cache_hits, STRATA_JS_T_U64),
    FIELD(strata_stats, cache_misses, STRATA_JS_T_U64),
    FIELD(strata_stats, cache_bytes, STRATA_JS_T_U64),
    FIELD(strata_stats, bytes_written_user, STRATA_JS_T_U64),
    FIELD(strata_stats, bytes_written_flush, STRATA_JS_T_U64),
    FIELD(strata_stats, bytes_written_compaction, STRATA_JS_T_U64),
    FIELD(strata_stats, flushes, STRATA_JS_T_U64),
    FIELD(strata_stats, compactions, STRATA_JS_T_U64),
    FIELD(strata_stats, write_stalls, STRATA_JS_T_U64),
    FIELD(strata_stats, seqno, STRATA_JS_T_U64),
    FIELD(strata_stats, snapshots_open, STRATA_JS_T_U32),
    FIELD(strata_stats, versions_alive, STRATA_JS_T_U32),
    FIELD(strata_stats, bytes_read_compaction, STRATA_JS_T_U64),
    FIELD(strata_stats, write_slowdowns, STRATA_JS_T_U64),
    FIELD(strata_stats, write_amplification, STRATA_JS_T_F64),
    FIELD(strata_stats, blob_files, STRATA_JS_T_U64),
    FIELD(strata_stats, blob_bytes, STRATA_JS_T_U64),
    FIELD(strata_stats, blob_stale_bytes, STRATA_JS_T_U64),
    FIELD(strata_stats, blob_reads, STRATA_JS_T_U64),
    FIELD(strata_stats, blob_bytes_relocated, STRATA_JS_T_U64),
    FIELD(strata_stats, blob_files_reclaimed, STRATA_JS_T_U64),
    FIELD(strata_stats, blob_bytes_reclaimed, STRATA_JS_T_U64),
    {NULL, 0, 0, 0}};

static const entry level_stats[] = {
    SIZE(strata_level_stats), FIELD(strata_level_stats, tables, STRATA_JS_T_U32),
    FIELD(strata_level_stats, runs, STRATA_JS_T_U32), FIELD(strata_level_stats, bytes, STRATA_JS_T_U64),
    {NULL, 0, 0, 0}};

static const entry recovery[] = {
    SIZE(strata_recovery_report),
    FIELD(strata_recovery_report, journals_replayed, STRATA_JS_T_U32),
    FIELD(strata_recovery_report, batches_replayed, STRATA_JS_T_U64),
    FIELD(strata_recovery_report, torn_bytes_cut, STRATA_JS_T_U64),
    FIELD(strata_recovery_report, damaged, STRATA_JS_T_I32),
    FIELD(strata_recovery_report, damaged_journal, STRATA_JS_T_U64),
    FIELD(strata_recovery_report, damaged_offset, STRATA_JS_T_U64),
    FIELD(strata_recovery_report, batches_discarded, STRATA_JS_T_U64),
    FIELD(strata_recovery_report, highest_seqno_seen, STRATA_JS_T_U64),
    FIELD(strata_recovery_report, manifest_fallback, STRATA_JS_T_I32),
    FIELD(strata_recovery_report, files_moved_to_lost, STRATA_JS_T_U32),
    FIELD(strata_recovery_report, obsolete_files_removed, STRATA_JS_T_U64),
    {NULL, 0, 0, 0}};

static const entry repair[] = {
    SIZE(strata_repair_report),
    FIELD(strata_repair_report, tables_found, STRATA_JS_T_U32),
    FIELD(strata_repair_report, tables_kept, STRATA_JS_T_U32),
    FIELD(strata_repair_report, tables_damaged, STRATA_JS_T_U32),
    FIELD(strata_repair_report, tables_obsolete, STRATA_JS_T_U32),
    FIELD(strata_repair_report, tables_merged, STRATA_JS_T_U32),
    FIELD(strata_repair_report, tables_written, STRATA_JS_T_U32),
    FIELD(strata_repair_report, journals_read, STRATA_JS_T_U32),
    FIELD(strata_repair_report, journal_batches_salvaged, STRATA_JS_T_U64),
    FIELD(strata_repair_report, journal_batches_lost, STRATA_JS_T_U64),
    FIELD(strata_repair_report, journal_bytes_lost, STRATA_JS_T_U64),
    FIELD(strata_repair_report, journal_torn_bytes, STRATA_JS_T_U64),
    FIELD(strata_repair_report, manifest_slots_damaged, STRATA_JS_T_U32),
    FIELD(strata_repair_report, files_moved_to_lost, STRATA_JS_T_U32),
    FIELD(strata_repair_report, entries, STRATA_JS_T_U64),
    FIELD(strata_repair_report, highest_seqno, STRATA_JS_T_U64),
    {"log", (double)offsetof(strata_repair_report, log), STRATA_JS_T_PTR, 1},
    /* the blob counters follow log in the struct: the reactor ABI pins the fields before them */
    FIELD(strata_repair_report, blob_files_found, STRATA_JS_T_U32),
    FIELD(strata_repair_report, blob_files_kept, STRATA_JS_T_U32),
    FIELD(strata_repair_report, blob_files_damaged, STRATA_JS_T_U32),
    FIELD(strata_repair_report, blob_files_obsolete, STRATA_JS_T_U32),
    FIELD(strata_repair_report, blob_files_unreferenced, STRATA_JS_T_U32),
    FIELD(strata_repair_report, tables_rewritten, STRATA_JS_T_U32),
    FIELD(strata_repair_report, blob_values_lost, STRATA_JS_T_U64),
    {NULL, 0, 0, 0}};

static const entry compaction[] = {
    SIZE(strata_js_compaction),
    FIELD(strata_js_compaction, strategy, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, level0_trigger, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, level_ratio, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, run_trigger, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, size_ratio, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, max_space_amplification_percent, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, limit_bytes, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, ttl_ms, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, table_target_size, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, level0_slowdown, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, level0_stop, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, kv_threshold, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, kv_file_target_size, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, kv_compression, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, kv_staleness_threshold, STRATA_JS_T_F64),
    FIELD(strata_js_compaction, kv_age_cutoff, STRATA_JS_T_F64),
    CONST("STRATEGY_DEFAULT", STRATA_JS_STRATEGY_DEFAULT), CONST("STRATEGY_LEVELED", STRATA_JS_STRATEGY_LEVELED),
    CONST("STRATEGY_TIERED", STRATA_JS_STRATEGY_TIERED), CONST("STRATEGY_FIFO", STRATA_JS_STRATEGY_FIFO),
    {NULL, 0, 0, 0}};

static const entry batch_wire[] = {
    CONST("OP_PUT", STRATA_JS_OP_PUT), CONST("OP_DELETE", STRATA_JS_OP_DELETE),
    CONST("OP_SINGLE_DELETE", STRATA_JS_OP_SINGLE_DELETE),
    CONST("TYPE_BYTES", 1), CONST("LENGTH_BYTES", 4), {NULL, 0, 0, 0}};

/* include/strata_limits.h as built for this module (wasm32), each by its name without STRATA_:
 * the key, value and batch limits (JS refuses what exceeds them before copying into wasm), the
 * option ranges and the defaults (options.js checks open() options against them). */
#define LIMIT(name) CONST(#name, STRATA_##name)
static const entry limits[] = {
    LIMIT(KEY_MAX), LIMIT(VALUE_MAX), LIMIT(BATCH_ITEM_OVERHEAD), LIMIT(BATCH_BYTES_MAX), LIMIT(BATCH_COUNT_MAX),
    LIMIT(MEMTABLE_SIZE_MIN), LIMIT(MEMTABLE_SIZE_MAX), LIMIT(BLOCK_CACHE_SIZE_MAX),
    LIMIT(BLOCK_SIZE_MIN), LIMIT(BLOCK_SIZE_MAX), LIMIT(BLOOM_BITS_MAX), LIMIT(MAX_SEALED_MEMTABLES_MAX),
    LIMIT(LEVEL_RATIO_MAX), LIMIT(SIZE_RATIO_MAX), LIMIT(TABLE_TARGET_SIZE_MIN), LIMIT(TABLE_TARGET_SIZE_MAX),
    LIMIT(DEFAULT_MEMTABLE_SIZE), LIMIT(DEFAULT_BLOCK_CACHE_SIZE), LIMIT(DEFAULT_BLOCK_SIZE),
    LIMIT(DEFAULT_BLOOM_BITS_PER_KEY), LIMIT(DEFAULT_MAX_SEALED_MEMTABLES), LIMIT(DEFAULT_TABLE_TARGET_SIZE),
    LIMIT(DEFAULT_LEVEL0_TRIGGER), LIMIT(DEFAULT_LEVEL0_SLOWDOWN), LIMIT(DEFAULT_LEVEL0_STOP),
    LIMIT(DEFAULT_LEVEL_RATIO), LIMIT(DEFAULT_SIZE_RATIO), LIMIT(DEFAULT_MAX_SPACE_AMP_PCT),
    LIMIT(KV_THRESHOLD_MIN), LIMIT(KV_THRESHOLD_MAX), LIMIT(BLOB_FILE_TARGET_SIZE_MIN),
    LIMIT(BLOB_FILE_TARGET_SIZE_MAX), LIMIT(DEFAULT_KV_THRESHOLD), LIMIT(DEFAULT_BLOB_FILE_TARGET_SIZE),
    LIMIT(DEFAULT_BLOB_STALENESS), LIMIT(DEFAULT_BLOB_AGE_CUTOFF), {NULL, 0, 0, 0}};

/* The verdicts a compaction filter returns (strata_filter_verdict). */
static const entry filter[] = {CONST("KEEP", STRATA_FILTER_KEEP), CONST("REMOVE", STRATA_FILTER_REMOVE),
                               CONST("REPLACE", STRATA_FILTER_REPLACE), {NULL, 0, 0, 0}};

static const entry *const tables[STRATA_JS_TABLE_COUNT] = {codes, open_flags, stats, level_stats, recovery,
                                                           repair, compaction, batch_wire, limits, filter};

const char *strata_js_describe(int table, uint32_t i, double *out) {
  if (table < 0 || table >= STRATA_JS_TABLE_COUNT || !out) return NULL;
  const entry *t = tables[table];
  for (uint32_t k = 0; k < i; k++)
    if (!t[k].name) return NULL;
  const entry *e = &t[i];
  if (!e->name) return NULL;
  out[0] = e->value;
  out[1] = e->type;
  out[2] = e->count;
  return e->name;
}

const char *strata_js_describe_table(int table) {
  static const char *const names[STRATA_JS_TABLE_COUNT] = {"codes", "open_flags", "stats", "level_stats", "recovery",
                                                           "repair", "compaction", "batch", "limits",
                                                           "filter"};
  return table >= 0 && table < STRATA_JS_TABLE_COUNT ? names[table] : NULL;
}
