/*
 * strata_limits.h -- every size limit and every default of Strata, in one place (included by
 * strata.h). The engine's internal layers check against these macros (with _Static_asserts where
 * a file format fixes a bound), the public functions enforce them on entry, and the JS binding
 * reads them from the compiled engine (the limits descriptor, strata_js_describe), so no number
 * here has a second copy.
 *
 * What the API accepts can be stored: a write that passes strata_put / strata_batch_put /
 * strata_write can be journaled, applied, flushed, compacted, read back and replayed by every
 * build (native 64-bit, Emscripten and WASI wasm32), with the limits the same on every build so
 * that a folder written by one opens in the others. The layers below, and why they bound things:
 *
 *   write batch item   type u8 | key_len fixed16 | value_len fixed32  (journal/write_batch.h):
 *                      keys 0..65535, values < 4 GiB.
 *   journal record     count fixed32, body_len fixed64 (journal/journal_format.h). Replay reads a
 *                      whole body into one buffer: on wasm32 it must fit in the heap beside the
 *                      memtable it is applied to.
 *   memtable           a skiplist node keeps key_len and value_len as u32; an entry larger than a
 *                      quarter of an arena chunk gets a chunk of its own, so neither the chunk size
 *                      nor the memtable size bounds an entry (a memtable holding one big entry is
 *                      simply sealed after it).
 *   data block         the block writer takes a value of up to 2 GiB - 1 (varint32 lengths,
 *                      fixed32 offsets), but the envelope refuses raw blocks over 1 GiB
 *                      (BLOCK_MAX_RAW_LEN, block_header.h: the decoder's bound before it trusts a
 *                      header's raw_len and allocates it). A block holds up to a block-size target
 *                      (<= 4 MiB) of smaller entries and then one more entry, so an entry of up to
 *                      1 GiB - 4 MiB - 64 KiB - trailer always fits. That was the real limit below
 *                      the old 4 GiB - 1 of the API: puts between 1 GiB and 4 GiB were acknowledged,
 *                      journaled, and failed every flush.
 *   LZ4                input <= 0x7E000000 (about 1.97 GiB) per call.
 *   wasm32             size_t is 32 bits and the Emscripten heap is at most 2 GiB. A value is held
 *                      several times at once: the caller's copy in wasm memory, the batch, the
 *                      memtable, then during a flush or compaction the block being built, its
 *                      compressed copy and the output buffer; a read holds the stored block, the
 *                      raw block and the copy handed out. A batch is held as the caller's batch
 *                      and its memtable entries, and on replay as the journal body and the entries.
 *
 * Hence STRATA_VALUE_MAX = 128 MiB: six copies (768 MiB) plus the default memtable and cache fit
 * in the 2 GiB heap with room to spare, and a block holding such a value stays 8x below the 1 GiB
 * block bound. A batch's encoded items are at most STRATA_BATCH_BYTES_MAX = 256 MiB: room for one
 * value at the limit with its key, and a journal record whose body and memtable copy (512 MiB)
 * every build can hold at replay. STRATA_BATCH_COUNT_MAX bounds the per-item array a write
 * gathers (20-40 bytes an item). The same limits hold on 64-bit builds, so every build can open
 * what any build wrote. Measured in the JS package (single-threaded build, wasm heap at close):
 * a 128 MiB value put, replayed, read, flushed, compacted (major) and read again peaks at 901 MiB;
 * a 256 MiB batch written, replayed, flushed and compacted at 1157 MiB. Twice these limits would
 * come too close to 2 GiB. Values already in a journal or table are replayed and read whatever
 * their size (the limits bind new writes only).
 */
#ifndef STRATA_LIMITS_H
#define STRATA_LIMITS_H

#include <stdint.h>

/* --- keys, values and batches (enforced by strata_put, strata_batch_*, strata_write) --------- */

#define STRATA_KEY_MAX 65535u                       /* keys are 0..65535 bytes; the empty key is valid */
#define STRATA_VALUE_MAX ((uint32_t)128 << 20)      /* values are 0..128 MiB */
/* The encoded size of a batch item: type u8, key length fixed16, value length fixed32. */
#define STRATA_BATCH_ITEM_OVERHEAD 7u
#define STRATA_BATCH_ITEM_BYTES(klen, vlen) ((uint64_t)STRATA_BATCH_ITEM_OVERHEAD + (uint64_t)(klen) + (uint64_t)(vlen))
/* A batch's items, encoded (the journal record's body): at most 256 MiB ... */
#define STRATA_BATCH_BYTES_MAX ((uint64_t)256 << 20)
/* ... and at most 1 Mi operations. */
#define STRATA_BATCH_COUNT_MAX ((uint32_t)1 << 20)

/* --- option ranges (checked by the strata_options_set_* setters and again by strata_open) ---- */

#define STRATA_MEMTABLE_SIZE_MIN ((uint64_t)4 << 10)
#define STRATA_MEMTABLE_SIZE_MAX ((uint64_t)(SIZE_MAX / 4 < ((uint64_t)64 << 30) ? SIZE_MAX / 4 + 1 : ((uint64_t)64 << 30)))
#define STRATA_BLOCK_CACHE_SIZE_MAX ((uint64_t)SIZE_MAX)
#define STRATA_BLOCK_SIZE_MIN 64u                 /* the table format's smallest block target */
#define STRATA_BLOCK_SIZE_MAX (4u << 20)          /* ... and its largest */
#define STRATA_BLOOM_BITS_MAX 100.0               /* 0 = no filter; NaN and negatives are refused */
#define STRATA_MAX_SEALED_MEMTABLES_MAX 1024u
#define STRATA_LEVEL_RATIO_MAX 1000.0             /* level ratio in (1, 1000] */
#define STRATA_SIZE_RATIO_MAX 1000.0              /* tiered size ratio in [0, 1000] */
#define STRATA_TABLE_TARGET_SIZE_MIN ((uint64_t)1 << 10)
#define STRATA_TABLE_TARGET_SIZE_MAX ((uint64_t)1 << 40)
/* key-value separation: a value of at least the threshold goes to a blob file */
#define STRATA_KV_THRESHOLD_MIN 1u
#define STRATA_KV_THRESHOLD_MAX STRATA_VALUE_MAX
#define STRATA_BLOB_FILE_TARGET_SIZE_MIN ((uint64_t)1 << 10)
#define STRATA_BLOB_FILE_TARGET_SIZE_MAX ((uint64_t)1 << 40)

/* --- defaults (what strata_options_new sets; the engine's layers start from the same) -------- */

#define STRATA_DEFAULT_MEMTABLE_SIZE ((uint64_t)64 << 20)
#define STRATA_DEFAULT_BLOCK_CACHE_SIZE ((uint64_t)16 << 20)
#define STRATA_DEFAULT_BLOCK_SIZE 4096u
#define STRATA_DEFAULT_MAP_TABLES 0 /* tables read, not mapped (strata_options_set_map_tables) */
#define STRATA_DEFAULT_CACHE_WRITTEN_BLOCKS 0 /* writes leave the cache alone (..._set_cache_written_blocks) */
#define STRATA_DEFAULT_BLOOM_BITS_PER_KEY 10.0
#define STRATA_DEFAULT_MAX_SEALED_MEMTABLES 1u /* as LevelDB, RocksDB (max_write_buffer_number 2) */
#define STRATA_DEFAULT_TABLE_TARGET_SIZE ((uint64_t)64 << 20)
#define STRATA_DEFAULT_LEVEL0_TRIGGER 4u          /* leveled: level-0 tables; tiered: runs */
#define STRATA_DEFAULT_LEVEL0_SLOWDOWN 20u
#define STRATA_DEFAULT_LEVEL0_STOP 30u
#define STRATA_DEFAULT_LEVEL_RATIO 10.0
#define STRATA_DEFAULT_SIZE_RATIO 1.0
#define STRATA_DEFAULT_MAX_SPACE_AMP_PCT 200u
/* key-value separation (off unless asked for; lsm-tree's defaults) */
#define STRATA_DEFAULT_KV_THRESHOLD 1024u
#define STRATA_DEFAULT_BLOB_FILE_TARGET_SIZE ((uint64_t)64 << 20)
#define STRATA_DEFAULT_BLOB_STALENESS 0.25
#define STRATA_DEFAULT_BLOB_AGE_CUTOFF 0.25

#endif /* STRATA_LIMITS_H */
