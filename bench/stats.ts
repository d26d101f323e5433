// Small statistics over runs and hosts: the table reports medians, with min and max for wall.

export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function min(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length ? Math.min(...v) : NaN;
}

export function max(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length ? Math.max(...v) : NaN;
}

/** "1.23" / "12.3" / "123": three significant figures, "-" when unknown. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return '-';
  if (x === 0) return '0';
  const mag = Math.floor(Math.log10(Math.abs(x)));
  const decimals = Math.max(0, digits - 1 - mag);
  return x.toFixed(Math.min(decimals, 3));
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '-';
  return `${fmt(a / b)}x`;
}

/** Counts (round trips, changed tasks): whole numbers stay whole, medians of two may be .5. */
export function fmtCount(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}
