// Numbers whose wire form is not already the DTS form: FLOAT and BIT.

/**
 * The shortest decimal that reads back as the same float32, as a double: 3.14 for the float32
 * 3.140000104904175. The binlog hands the stored float32 widened to a double, the snapshot its
 * exact double text; both give the same float32, so both paths write the same value, and it is the
 * number the user wrote.
 */
export function shortestFloat32(value: number): number {
  const stored = Math.fround(value);
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(stored.toPrecision(digits));
    if (Math.fround(candidate) === stored) return candidate;
  }
  // Nine significant digits always identify a float32.
  return Number(stored.toPrecision(9));
}

/** The unsigned big-endian integer in `bytes` (a BIT value) as a decimal string. */
export function unsignedBigEndianText(bytes: Uint8Array): string {
  // Up to 6 bytes fit a double exactly; BIT(64) needs BigInt.
  if (bytes.length <= 6) {
    let value = 0;
    for (const byte of bytes) value = value * 256 + byte;
    return String(value);
  }
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value.toString();
}
