// Shared by the browser image fixtures: a database's contents as Node's image tests hash them
// (sha256 over u32 key length | u32 value length | key | value, in key order), and base64 for
// images crossing between the page and the test.
export async function contents(db) {
  const parts = [];
  let count = 0;
  for await (const [k, v] of db.iterator({ keyEncoding: 'view', valueEncoding: 'view' })) {
    const head = new Uint8Array(8);
    new DataView(head.buffer).setUint32(0, k.length, true);
    new DataView(head.buffer).setUint32(4, v.length, true);
    parts.push(head, k, v);
    count++;
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    all.set(p, pos);
    pos += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return { hash: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''), count };
}

export function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export const fromBase64 = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

// The chunks of an export as one Uint8Array.
export function concat(chunks) {
  const bytes = new Uint8Array(chunks.reduce((t, c) => t + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    bytes.set(c, pos);
    pos += c.length;
  }
  return bytes;
}
