// The one JS error of SEMRES, for what the page and the worker raise themselves: an `Error`
// named "SemresError" with a stable `code` from the register (src/codes.rs; the WASM core's
// errors are already of this shape). tests/js/codes.test.mjs checks every code used here.

/** A SemresError with `code` (a register code), `message`, and extra fields (status, …). */
export function semresError(code, message, extra = {}) {
  return Object.assign(new Error(message), { name: 'SemresError', code, ...extra });
}
