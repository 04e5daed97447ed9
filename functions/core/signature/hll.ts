import { ConfigError } from '../errors.js';

/**
 * HyperLogLog distinct-count state: p = 12 (4096 one-byte registers, standard error 1.04/√4096 ≈ 1.6%).
 * The hash is murmur3 (x86, 32-bit) of the value's UTF-8 bytes, twice with two seeds, giving 64 bits:
 * 12 for the register index and 52 for the rank, so no large-range correction is needed. The estimate is
 * Ertl's improved raw estimator ("New cardinality estimation algorithms for HyperLogLog sketches", 2017),
 * which is unbiased across the whole range without empirical bias tables. Merge = register-wise max.
 */

/** Register-index bits. */
export const HLL_P = 12;
const M = 1 << HLL_P;
/** Bits left for the rank. */
const Q = 64 - HLL_P;
const SEED_A = 0;
const SEED_B = 0x9747b28c;

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** murmur3 x86 32-bit of `bytes[0, length)`. */
export function murmur3(bytes: Uint8Array, length: number, seed: number): number {
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (length & 3) {
    case 3:
      k ^= bytes[blocks + 2] << 16;
    // falls through
    case 2:
      k ^= bytes[blocks + 1] << 8;
    // falls through
    case 1:
      k ^= bytes[blocks];
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** UTF-8 bytes of `value` in a reused buffer; returns the byte length. */
function utf8(value: string): number {
  if (scratch.length < value.length * 3) scratch = new Uint8Array(value.length * 3);
  return encoder.encodeInto(value, scratch).written;
}

/** Add one value to the registers. */
export function hllAdd(registers: Uint8Array, value: string): void {
  const length = utf8(value);
  const a = murmur3(scratch, length, SEED_A);
  const b = murmur3(scratch, length, SEED_B);
  const index = a >>> (32 - HLL_P);
  const high = a & ((1 << (32 - HLL_P)) - 1);
  // Rank = position of the first 1 bit in the 52-bit remainder (high 20 bits of `a`, then all of `b`).
  const rank = high !== 0 ? Math.clz32(high) - HLL_P + 1 : b !== 0 ? 32 - HLL_P + Math.clz32(b) + 1 : Q + 1;
  if (rank > registers[index]) registers[index] = rank;
}

/** Fresh empty registers. */
export function hllRegisters(): Uint8Array {
  return new Uint8Array(M);
}

/** Register-wise max of `b` into `a`. */
export function hllMergeInto(a: Uint8Array, b: Uint8Array): void {
  for (let i = 0; i < a.length; i++) if (b[i] > a[i]) a[i] = b[i];
}

/** Registers as base64 (btoa over a binary string: no Buffer, keeps the core runtime-neutral). */
export function hllEncode(registers: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < registers.length; i += 1024) {
    binary += String.fromCharCode(...registers.subarray(i, i + 1024));
  }
  return btoa(binary);
}

/** Decode base64 registers; throws ConfigError when the length is not 2^p. */
export function hllDecode(registers: string, p: number, source = 'signature'): Uint8Array {
  let binary: string;
  try {
    binary = atob(registers);
  } catch (cause) {
    throw new ConfigError(source, 'distinct.registers is not valid base64', { cause });
  }
  if (binary.length !== 1 << p) {
    throw new ConfigError(source, `distinct.registers decodes to ${binary.length} bytes, expected ${1 << p}`);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Ertl's improved raw estimate of the number of distinct values added. */
export function hllEstimate(registers: Uint8Array): number {
  const m = registers.length;
  const q = 64 - Math.log2(m);
  const histogram = new Float64Array(q + 2);
  for (let i = 0; i < m; i++) histogram[Math.min(registers[i], q + 1)]++;
  if (histogram[0] === m) return 0;
  let z = m * tau(1 - histogram[q + 1] / m);
  for (let k = q; k >= 1; k--) z = 0.5 * (z + histogram[k]);
  z += m * sigma(histogram[0] / m);
  return (m * m) / (2 * Math.LN2 * z);
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z !== previous);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z !== previous);
  return z / 3;
}
