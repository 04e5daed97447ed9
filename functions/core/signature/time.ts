import type { LogicalType, NumericChunk } from '../columns.js';
import type { TimeColumnSignature } from './types.js';

/**
 * Time-axis column statistics: count, nulls, min, max in ms since epoch. Readers deliver dates and timestamps
 * alike as milliseconds since epoch (dates at midnight UTC; see columns.ts), so no conversion happens here.
 * NaN/±Inf values are not a time: they count as rows but not in min/max.
 */
export class TimeAccumulator {
  private count = 0;
  private nulls = 0;
  private min = Infinity;
  private max = -Infinity;
  constructor(private readonly type: LogicalType) {}

  /** Accumulate one chunk. */
  add(chunk: NumericChunk): void {
    const { values, nulls } = chunk;
    let min = this.min;
    let max = this.max;
    let nullCount = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (nulls !== undefined && nulls[i] === 1) {
        nullCount++;
        continue;
      }
      const x = values[i];
      if (x - x !== 0) continue;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    this.count += chunk.length;
    this.nulls += nullCount;
    this.min = min;
    this.max = max;
  }

  /** The column's signature. */
  finish(): TimeColumnSignature {
    const seen = this.min <= this.max;
    return {
      kind: 'time',
      type: this.type,
      count: this.count,
      nulls: this.nulls,
      min: seen ? this.min : null,
      max: seen ? this.max : null,
    };
  }
}

/** Merge two time column signatures. */
export function mergeTime(a: TimeColumnSignature, b: TimeColumnSignature): TimeColumnSignature {
  return {
    kind: 'time',
    type: a.type,
    count: a.count + b.count,
    nulls: a.nulls + b.nulls,
    min: a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min),
    max: a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max),
  };
}
