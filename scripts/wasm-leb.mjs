// Reads an unsigned LEB128 number (WebAssembly core spec §5.2.2) from `bytes` at `at`:
// returns [value, position after it]. Shared by the scripts that walk a module's sections.
export function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  let p = at;
  for (;;) {
    const byte = bytes[p++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return [value, p];
  }
}
