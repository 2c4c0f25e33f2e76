// Shared by the harness page and the harness worker: calls an export of a module and turns the
// outcome into a structured-cloneable record ({ ok, value } or { ok: false, error }).

// An Error (or DOMException, or anything thrown) as plain data, its cause chain included.
export function serializeError(e, depth = 0) {
  if (e === null || e === undefined || typeof e !== 'object') {
    return { name: 'Thrown', message: String(e) };
  }
  const out = { name: e.name || e.constructor?.name || 'Error', message: String(e.message ?? e) };
  if (e.code !== undefined) out.code = e.code;
  if (typeof e.stack === 'string') out.stack = e.stack;
  if (e.cause !== undefined && depth < 4) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

// What a promise settled with, for fixtures that compare failures: { code, message }, or
// { code: null } when it resolved.
export async function errorOf(p) {
  try {
    await p;
  } catch (err) {
    return { code: err.code, message: err.message };
  }
  return { code: null };
}

export async function call(url, name, args) {
  try {
    const m = await import(url);
    if (typeof m[name] !== 'function') throw new Error(`${url} has no exported function ${name}`);
    const value = await m[name](...args);
    return { ok: true, value: value === undefined ? null : value };
  } catch (e) {
    return { ok: false, error: serializeError(e) };
  }
}
