/**
 * The one description of an Arrow array both decoders hand over: parquet-wasm's arrays in wasm memory
 * (arrow-c-data.ts) and apache-arrow's IPC bodies (arrow-ipc-body.ts) are each described as a RawArray
 * (type + buffers as byte views), which arrow-columns.ts converts. Also the names and logical types the
 * schema reports for those types.
 */
import type { ColumnField, LogicalType } from '../core/columns.js';

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

/** The Arrow types the reader distinguishes; everything else is `other` and skipped by the signature. */
export type RawType =
  | { readonly kind: 'bool' }
  | { readonly kind: 'int'; readonly bits: 8 | 16 | 32 | 64; readonly signed: boolean }
  | { readonly kind: 'float'; readonly bits: 16 | 32 | 64 }
  | { readonly kind: 'decimal'; readonly bits: 32 | 64 | 128 | 256; readonly precision: number; readonly scale: number }
  | { readonly kind: 'utf8'; readonly large: boolean }
  | { readonly kind: 'date'; readonly unit: 'day' | 'ms' }
  | { readonly kind: 'timestamp'; readonly unit: TimeUnit; readonly timezone?: string }
  | { readonly kind: 'dictionary'; readonly index: RawIntType; readonly value: RawType }
  | { readonly kind: 'other'; readonly name: string };

export type RawIntType = Extract<RawType, { kind: 'int' }>;

/**
 * One Arrow array as byte views. `valueOffset` indexes fixed-width values and utf8 offsets; `bitOffset`
 * indexes the validity bitmap and boolean bits (they differ for apache-arrow slices, which pre-slice
 * value buffers but not bitmaps).
 */
export interface RawArray {
  readonly type: RawType;
  readonly length: number;
  /** -1 when unknown. */
  readonly nullCount: number;
  readonly valueOffset: number;
  readonly bitOffset: number;
  readonly validity: Uint8Array | undefined;
  /** Fixed-width values, boolean bits, or utf8 offsets. */
  readonly values: Uint8Array | undefined;
  /** utf8 character data. */
  readonly data: Uint8Array | undefined;
  readonly dictionary: RawArray | undefined;
}

const UNIT_NAMES: Readonly<Record<TimeUnit, string>> = {
  s: 'SECOND',
  ms: 'MILLISECOND',
  us: 'MICROSECOND',
  ns: 'NANOSECOND',
};

/** Name of a raw type for messages and `ColumnField.sourceType` (apache-arrow's spelling). */
export function rawTypeName(type: RawType): string {
  switch (type.kind) {
    case 'bool':
      return 'Bool';
    case 'int':
      return `${type.signed ? 'Int' : 'Uint'}${type.bits}`;
    case 'float':
      return `Float${type.bits}`;
    case 'decimal':
      return `Decimal${type.bits}(${type.precision}, ${type.scale})`;
    case 'utf8':
      return type.large ? 'LargeUtf8' : 'Utf8';
    case 'date':
      return type.unit === 'day' ? 'Date32<DAY>' : 'Date64<MILLISECOND>';
    case 'timestamp':
      return `Timestamp<${UNIT_NAMES[type.unit]}${type.timezone ? `, ${type.timezone}` : ''}>`;
    case 'dictionary':
      return `Dictionary<${rawTypeName(type.index)}, ${rawTypeName(type.value)}>`;
    case 'other':
      return type.name;
  }
}

/** The logical type the core records for a raw type. */
export function logicalTypeOf(type: RawType): LogicalType {
  switch (type.kind) {
    case 'bool':
      return 'boolean';
    case 'int':
      return 'int';
    case 'float':
      return 'float';
    case 'decimal':
      return 'decimal';
    case 'utf8':
      return 'string';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp';
    case 'dictionary': {
      const value = logicalTypeOf(type.value);
      return value === 'boolean' ? 'other' : value;
    }
    case 'other':
      return 'other';
  }
}

/** The schema entry of one top-level column. */
export function columnFieldOf(name: string, type: RawType, nullable: boolean): ColumnField {
  return { name, type: logicalTypeOf(type), sourceType: rawTypeName(type), nullable };
}
