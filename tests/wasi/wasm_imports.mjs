// A small WebAssembly binary decoder: the import and export sections of a module, read by hand
// (not through WebAssembly.Module.imports) so the portable-imports test does not trust the engine
// it runs on. Every read is bounds-checked; a malformed module throws an Error naming the offset.

const SECTION_IMPORT = 2;
const SECTION_EXPORT = 7;
const KINDS = ['function', 'table', 'memory', 'global', 'tag'];

class Reader {
  constructor(bytes, start = 0, end = bytes.length) {
    this.b = bytes;
    this.at = start;
    this.end = end;
  }

  fail(what) { throw new Error(`malformed wasm at offset ${this.at}: ${what}`); }

  byte() {
    if (this.at >= this.end) this.fail('unexpected end');
    return this.b[this.at++];
  }

  // unsigned LEB128 of at most `bits` bits
  uleb(bits = 32) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.byte();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) break;
      if (shift >= BigInt(bits)) this.fail(`LEB128 longer than ${bits} bits`);
    }
    if (result >= 1n << BigInt(bits)) this.fail(`LEB128 over ${bits} bits`);
    return bits <= 32 ? Number(result) : result;
  }

  bytes(n) {
    if (n > this.end - this.at) this.fail(`${n} bytes past the end`);
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  name() {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(this.uleb()));
    } catch (err) {
      if (err instanceof TypeError) this.fail('a name that is not UTF-8');
      throw err;
    }
  }

  limits() {
    const flags = this.byte();
    if (flags > 7) this.fail(`limits flags ${flags}`);
    const bits = flags & 4 ? 64 : 32; // memory64
    this.uleb(bits);
    if (flags & 1) this.uleb(bits);
  }
}

// The module's sections as [{ id, start, end }] after checking the header.
function sections(bytes) {
  const r = new Reader(bytes);
  const magic = r.bytes(4);
  if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) r.fail('not a wasm module (magic)');
  const v = r.bytes(4);
  if (v[0] !== 1 || v[1] || v[2] || v[3]) r.fail('not version 1');
  const out = [];
  while (r.at < r.end) {
    const id = r.byte();
    const size = r.uleb();
    const start = r.at;
    r.bytes(size);
    out.push({ id, start, end: start + size });
  }
  return out;
}

// [{ module, name, kind }] of every import.
export function wasmImports(bytes) {
  const list = [];
  for (const s of sections(bytes).filter((x) => x.id === SECTION_IMPORT)) {
    const r = new Reader(bytes, s.start, s.end);
    for (let n = r.uleb(); n > 0; n--) {
      const module = r.name();
      const name = r.name();
      const kind = r.byte();
      if (kind === 0) r.uleb(); // function: type index
      else if (kind === 1) { r.byte(); r.limits(); } // table: reference type, limits
      else if (kind === 2) r.limits(); // memory
      else if (kind === 3) { r.byte(); if (r.byte() > 1) r.fail('global mutability'); } // global
      else if (kind === 4) { r.byte(); r.uleb(); } // tag
      else r.fail(`import kind ${kind}`);
      list.push({ module, name, kind: KINDS[kind] });
    }
    if (r.at !== r.end) r.fail('import section longer than its entries');
  }
  return list;
}

// [{ name, kind }] of every export.
export function wasmExports(bytes) {
  const list = [];
  for (const s of sections(bytes).filter((x) => x.id === SECTION_EXPORT)) {
    const r = new Reader(bytes, s.start, s.end);
    for (let n = r.uleb(); n > 0; n--) {
      const name = r.name();
      const kind = r.byte();
      if (kind > 4) r.fail(`export kind ${kind}`);
      r.uleb();
      list.push({ name, kind: KINDS[kind] });
    }
    if (r.at !== r.end) r.fail('export section longer than its entries');
  }
  return list;
}
