/*
 * blob_format.h -- the bytes of a blob file and of a value handle (key-value separation).
 *
 * A blob file `blobs/<id>` holds large values written at flush (and by relocation during blob
 * garbage collection), so compaction moves small handles instead of the values. Immutable once
 * finished. Layout:
 *
 *   record*  | trailer (BLOB_TRAILER_SIZE bytes)
 *
 * record (each checked on its own, so a point read needs only its bytes):
 *   varint key_len | key | varint64 seqno | u8 compression | varint raw_len | varint stored_len
 *   | stored value bytes | fixed64 checksum64 of every record byte before it
 *
 * trailer:
 *   fixed32 magic "STBB" | fixed32 format (1) | fixed64 blob id | fixed64 item_count
 *   | fixed64 records_end (= trailer offset) | fixed64 raw_value_bytes | fixed64 seqno_min
 *   | fixed64 seqno_max | fixed64+fixed64 checksum128 of bytes [0, this field)
 *   | fixed64 checksum64 of the trailer's bytes before it
 * Opening checks the trailer (its own checksum, magic, format, id, records_end); verification
 * reads the whole file against the file checksum.
 *
 * value handle (the value of a VALUE_TYPE_INDIRECTION table entry):
 *   varint64 blob id | varint64 record offset | varint64 record size | varint64 raw value size
 */
#ifndef STRATA_BLOB_BLOB_FORMAT_H
#define STRATA_BLOB_BLOB_FORMAT_H

#define BLOB_MAGIC 0x42425453u /* "STBB" little-endian */
#define BLOB_FORMAT 1u
#define BLOB_TRAILER_SIZE 80u
#define BLOB_RECORD_CHECKSUM_SIZE 8u
#define BLOB_HANDLE_MAX_SIZE 40u /* four varint64 */

#endif
