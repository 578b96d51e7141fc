/** Patches the reference masks at a ratio: L - int(L * (1 - ratio)). */
export function maskedAtRatio(numPatches: number, ratioPct: number): number {
  return numPatches - Math.trunc(numPatches * (1 - ratioPct / 100));
}
