/*
 * manifest.h -- the durable record of the current version, replaced crash-safely.
 *
 * The manifest lives in two slot files, `manifest-0` and `manifest-1`. Each write goes to the
 * slot the previous write did not use (epoch parity), is synced, and only then does the caller
 * swap the in-memory version. On open both slots are read and the valid one with the highest
 * epoch wins; a torn write leaves the other slot, one epoch older, intact. No rename is needed,
 * so the scheme works on every backend (OPFS has no atomic rename).
 *
 * Slot file:
 *   fixed32 magic "STRM" | fixed32 slot format (1) | fixed64 epoch | fixed64 payload length
 *   | payload | fixed64 xxh3-128 low | fixed64 xxh3-128 high     (checksum of all bytes before it)
 * Payload:
 *   varint manifest format (1) | varint next_file_id | varint flushed_seqno | varint journal_min
 *   | varint version id | varint level count
 *   | per level: varint run count | per run: varint table count | per table: table_info encoding
 *   | varint blob count | per blob: varint id, file_size, item_count, garbage_bytes
 */
#ifndef STRATA_VERSION_MANIFEST_H
#define STRATA_VERSION_MANIFEST_H

#include <stdint.h>

#include "../vfs/vfs.h"
#include "version.h"

#define MANIFEST_FORMAT 1

typedef struct manifest_state {
  uint64_t next_file_id;  /* ids of tables, blob files and journals come from one counter */
  uint64_t flushed_seqno; /* every write with seqno < this is in a table */
  uint64_t journal_min;   /* journals numbered below this hold only flushed writes */
  version *version;       /* one reference, owned by the state */
} manifest_state;

/* What reading found in a slot file. */
typedef enum manifest_slot_state {
  MANIFEST_SLOT_MISSING = 0,
  MANIFEST_SLOT_VALID,
  MANIFEST_SLOT_TORN,   /* shorter than its header says (or than a header): a write cut short */
  MANIFEST_SLOT_DAMAGED /* whole, but with a bad magic, format or checksum: changed after writing */
} manifest_slot_state;

typedef struct manifest_read_info {
  uint64_t epoch;         /* of the slot used */
  unsigned slot;          /* 0 or 1: the slot used */
  int other_slot_invalid; /* the other slot was missing, torn or corrupt (normal after a crash) */
  manifest_slot_state other_state;
  char other_path[4096];  /* the other slot's file */
  char other_problem[512]; /* why the other slot is not valid ("" when it is) */
} manifest_read_info;

STRATA_MUST_USE strata_status *manifest_encode(const manifest_state *m, buffer *payload);
STRATA_MUST_USE strata_status *manifest_decode(slice payload, manifest_state *out);

/* The whole slot file for `epoch` holding the state (header, payload, checksum), into `file`
 * (replacing its contents): what manifest_write writes, for a database image to carry. */
STRATA_MUST_USE strata_status *manifest_encode_slot(const manifest_state *m, uint64_t epoch, buffer *file);
/* The state held by the bytes of a whole slot file, checked as an open checks a slot (magic,
 * format, length, checksum, then the payload); `what` names it in errors (STRATA_CORRUPTION). */
STRATA_MUST_USE strata_status *manifest_decode_slot(slice file, const char *what, uint64_t *epoch,
                                                    manifest_state *out);
/* Writes the state into the slot for epoch *epoch + 1 and syncs it; on success *epoch advances. */
STRATA_MUST_USE strata_status *manifest_write(vfs *v, const char *dir, uint64_t *epoch, const manifest_state *m);

/*
 * Loads the newest valid slot. Which slot that is can be wrong in one way: when the other slot
 * is torn, damaged or missing, it may have held a newer epoch, and the slot used is the older
 * one (a fallback); the caller checks that what the older state needs is still there.
 * *found = 0 (and no error) when neither slot exists: a new tree. Slots that exist but are all
 * invalid are a corruption error, never an empty tree.
 */
STRATA_MUST_USE strata_status *manifest_read(vfs *v, const char *dir, manifest_state *out, int *found,
                                             manifest_read_info *info);

void manifest_state_clear(manifest_state *m);

/* One slot file as found, for `strata repair`: whether it exists, whether it is valid, and the
 * epoch its header claims (read even from a damaged slot; 0 when too short to hold one). */
typedef struct manifest_slot_probe {
  int exists;
  int valid;
  uint64_t epoch;
  char path[4096];
} manifest_slot_probe;

STRATA_MUST_USE strata_status *manifest_probe_slot(vfs *v, const char *dir, unsigned slot, manifest_slot_probe *out);

#endif
