// Avro's ints and longs: zigzag varints, 7 bits a byte, for the encoders that write bytes
// themselves (snapshot-images.ts, codec.ts' INIT records). Safe integers only: beyond 2^53 the
// schema's long type is the exact path.

export const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

/** How many bytes `n` takes. */
export function longSize(n: number): number {
  let size = 1;
  for (let m = zigzag(n); m >= 0x80; m = Math.floor(m / 0x80)) size++;
  return size;
}

/** Writes `n` at `pos` (the caller made room); the position after it. */
export function putLong(buf: Uint8Array, pos: number, n: number): number {
  let m = zigzag(n);
  while (m >= 0x80) {
    buf[pos++] = (m % 0x80) | 0x80;
    m = Math.floor(m / 0x80);
  }
  buf[pos++] = m;
  return pos;
}

/** `n`'s bytes, for constants encoded once. */
export function longBytes(n: number): number[] {
  const out = new Array<number>(longSize(n));
  putLong(out as unknown as Uint8Array, 0, n);
  return out;
}
