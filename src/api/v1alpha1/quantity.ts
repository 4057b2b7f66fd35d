// Kubernetes resource quantities (`512Mi`, `1G`, `1e9`), as far as the worker's memory needs them.

/** The pattern the API server accepts for a quantity (the CRD's schema uses it). */
export const QUANTITY = '^[0-9]+([.][0-9]+)?([eE][0-9]+|[KMGTPE]i|[mkMGTPE])?$';

const UNITS: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Bytes of a Kubernetes quantity (`512Mi`, `1G`, `1e9`, 1073741824); undefined if unparsable. */
export function quantityBytes(q: string | number): number | undefined {
  if (typeof q === 'number') return q;
  const m = /^([0-9]+(?:[.][0-9]+)?)((?:[eE][0-9]+)|[KMGTPE]i|[mkMGTPE])?$/.exec(q);
  if (!m) return undefined;
  const [, num, suffix = ''] = m;
  if (/^[eE]/.test(suffix)) return Number(`${num}${suffix}`);
  const unit = UNITS[suffix];
  return unit === undefined ? undefined : Number(num) * unit;
}
