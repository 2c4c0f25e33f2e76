// The LOCK file's record in JS: the same format as src/vfs/lock_record.h (the definition, with
// the field rules), for the Node host's lock (node_host.js). tests/js/lock_matrix.test.mjs
// proves this codec and the C one agree byte for byte (encode both ways, decode each other's).
//
//   strata-lock 1\n runtime R\n pid P\n start S\n host H\n since T\n token K\n crc32 C\n
//
// CRC-32 (IEEE, as zlib) over every byte before "crc32 ". Anything else is not a record.

export const RECORD_MAX = 512;
const RUNTIME_MAX = 15;
const HOST_MAX = 255;
const U32_MAX = 0xffffffffn;
const U64_MAX = 0xffffffffffffffffn;

export function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// A host name in the record's alphabet: UTF-8 bytes outside 0x21..0x7e become '_', at most 255
// bytes, '?' when empty (lock_record_set_host).
export function recordHost(name) {
  const bytes = Buffer.from(String(name ?? ''), 'utf8').subarray(0, HOST_MAX);
  let s = '';
  for (const b of bytes) s += b < 0x21 || b > 0x7e ? '_' : String.fromCharCode(b);
  return s || '?';
}

const runtimeOk = (s) => /^[a-z]{1,15}$/.test(s);
const hostOk = (s) => s.length >= 1 && s.length <= HOST_MAX && /^[\x21-\x7e]+$/.test(s);
const tokenOk = (s) => /^[0-9a-f]{16}$/.test(s);

// record: { runtime, pid, start, host, since, token } with pid, start, since as numbers or
// bigints (start and since may exceed 2^53). Returns a Buffer.
export function encodeRecord(r) {
  const pid = BigInt(r.pid), start = BigInt(r.start), since = BigInt(r.since);
  if (!runtimeOk(r.runtime) || !hostOk(r.host) || !tokenOk(r.token) || pid < 0n || pid > U32_MAX ||
      start < 0n || start > U64_MAX || since < 0n || since > U64_MAX) {
    throw new RangeError(`lock record: a field is outside the format (runtime "${r.runtime}")`);
  }
  const body = Buffer.from(`strata-lock 1\nruntime ${r.runtime}\npid ${pid}\nstart ${start}\nhost ${r.host}\n` +
    `since ${since}\ntoken ${r.token}\n`, 'latin1');
  const crc = crc32(body).toString(16).padStart(8, '0');
  return Buffer.concat([body, Buffer.from(`crc32 ${crc}\n`, 'latin1')]);
}

// Parses a Buffer: the record ({ runtime, pid (number), start, since (bigint), host, token }), or
// throws an Error "not a lock record (<why> at offset N of M bytes)" with code 'ELOCKRECORD'.
export function decodeRecord(bytes) {
  let pos = 0;
  const fail = (why, at = pos) => {
    const e = new Error(`not a lock record (${why} at offset ${at} of ${bytes.length} bytes)`);
    e.code = 'ELOCKRECORD';
    throw e;
  };
  if (bytes.length > RECORD_MAX) fail('longer than any record', RECORD_MAX);
  const expect = (lit) => {
    const b = Buffer.from(lit, 'latin1');
    if (bytes.length - pos < b.length || !bytes.subarray(pos, pos + b.length).equals(b)) fail('unexpected bytes');
    pos += b.length;
  };
  const value = (max) => {
    let i = pos;
    while (i < bytes.length && bytes[i] !== 0x0a && i - pos <= max) i++;
    if (i >= bytes.length) fail('missing newline');
    if (bytes[i] !== 0x0a) fail('value too long');
    if (i === pos) fail('empty value');
    const s = bytes.subarray(pos, i).toString('latin1');
    const at = pos;
    pos = i + 1;
    return [s, at];
  };
  const decimal = (max) => {
    const [s, at] = value(20);
    if (s.length > 1 && s[0] === '0') fail('leading zero', at);
    const bad = s.search(/[^0-9]/);
    if (bad >= 0) fail('not a decimal digit', at + bad);
    const v = BigInt(s);
    if (v > max) fail('number out of range', at);
    return v;
  };
  const text = (max, ok) => {
    const [s, at] = value(max);
    if (!ok(s)) fail('bad characters', at);
    return s;
  };
  expect('strata-lock 1\n');
  expect('runtime ');
  const runtime = text(RUNTIME_MAX, runtimeOk);
  expect('pid ');
  const pid = Number(decimal(U32_MAX));
  expect('start ');
  const start = decimal(U64_MAX);
  expect('host ');
  const host = text(HOST_MAX, hostOk);
  expect('since ');
  const since = decimal(U64_MAX);
  expect('token ');
  const token = text(16, tokenOk);
  const body = pos;
  expect('crc32 ');
  const [hex, at] = value(8);
  if (hex.length !== 8) fail('checksum not 8 hex digits', at);
  const badHex = hex.search(/[^0-9a-f]/);
  if (badHex >= 0) fail('not a lowercase hex digit', at + badHex);
  if (pos !== bytes.length) fail('bytes after the checksum');
  if (parseInt(hex, 16) !== crc32(bytes.subarray(0, body))) fail('checksum mismatch', body);
  return { runtime, pid, start, host, since, token };
}

// "node process 1234 on host build-7, lock taken 2026-12-01 09:20:01 UTC" (lock_record_describe).
export function describeRecord(r) {
  let when = 'an unknown time';
  const ms = Number(r.since);
  if (r.since && ms / 1000 < 253402300800) { // before the year 10000, as in C
    when = new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('T', ' ').replace('.000Z', ' UTC');
  }
  return `${r.runtime} process ${r.pid ? r.pid : 'of unknown pid'} on host ${r.host}, lock taken ${when}`;
}
