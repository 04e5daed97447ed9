/**
 * mulberry32: a small deterministic PRNG (32-bit integer arithmetic only, the same stream on every
 * platform). The demo uses it so a seed replays the same weeks; tests use it for reproducible samples.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
