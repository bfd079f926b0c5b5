/**
 * Just enough ELF reading to tell a static executable from a dynamic one (a dynamic one has a
 * `PT_INTERP` program header naming its loader), so a busybox image built `FROM scratch` runs.
 */

const PT_INTERP = 3;

/**
 * Whether `bytes` is an ELF executable without a program interpreter.
 *
 * @example
 * isStaticElf(readFileSync('/bin/busybox')) // => true with busybox-static
 */
export function isStaticElf(bytes: Uint8Array): boolean {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    return false;
  }
  const is64 = bytes[4] === 2;
  const little = bytes[5] === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = is64 ? Number(view.getBigUint64(32, little)) : view.getUint32(28, little);
  const phentsize = view.getUint16(is64 ? 54 : 42, little);
  const phnum = view.getUint16(is64 ? 56 : 44, little);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > bytes.length) return false;
    if (view.getUint32(at, little) === PT_INTERP) return false;
  }
  return true;
}
