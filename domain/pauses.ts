/** The pause after the n-th failed attempt of a wait that tries again: `firstMs`, doubling each time, at most `maxMs`. */
export function doublingPauseMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(firstMs * 2 ** (attempt - 1), maxMs);
}
