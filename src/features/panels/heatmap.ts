// The error heatmap drawn over the reconstruction: per-pixel squared error (0-255 space) as
// RMS error through a magma-like ramp, transparent where the error is nil.

/** RMS error (0-255 units) drawn at full colour. */
export const HEATMAP_FULL_SCALE = 128;

const RAMP: readonly (readonly [number, number, number])[] = [
  [0, 0, 4], [81, 18, 124], [183, 55, 121], [252, 137, 97], [252, 253, 191],
];

/** The ramp colour at v in [0, 1]. */
export function rampColour(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t));
  const f = t - i;
  const a = RAMP[i];
  const b = RAMP[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as [number, number, number];
}

/** Heat value in [0, 1] of one squared error: sqrt(err) / full scale, clamped; 0 for garbage. */
export function heatValue(sqErr: number): number {
  if (!(sqErr > 0)) return 0;
  return Math.min(1, Math.sqrt(sqErr) / HEATMAP_FULL_SCALE);
}

/** Opacity of a heat value: nil error is transparent, the worst is 85 % opaque. */
export const heatAlpha = (v: number): number => Math.round(255 * Math.min(0.85, 0.9 * Math.sqrt(v)));

/** RGBA overlay of an error map of `width` x `height` pixels. */
export function errorHeatmap(errorMap: Float32Array, width: number, height = width): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  const n = Math.min(errorMap.length, width * height);
  for (let i = 0; i < n; i++) {
    const v = heatValue(errorMap[i]);
    if (v === 0) continue;
    const [r, g, b] = rampColour(v);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = heatAlpha(v);
  }
  return out;
}

/** CSS gradient of the ramp, for the legend. */
export const RAMP_CSS = `linear-gradient(to right, ${RAMP.map(([r, g, b], i) => `rgb(${r} ${g} ${b}) ${(i / (RAMP.length - 1)) * 100}%`).join(', ')})`;
