import * as tf from '@tensorflow/tfjs-core';
import { DataError, ValueError } from '../errors/errors.ts';

/** Element types of the safetensors format, in the reference implementation's order. */
export type SafetensorsDtype =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'F64'
  | 'I64'
  | 'U64';

// Order of the Rust `Dtype` enum (huggingface/safetensors): the writer lays tensors out by
// descending dtype, then by name, as the reference does, so our files are byte-identical to its.
const DTYPE_ORDER: readonly SafetensorsDtype[] = [
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
];
const DTYPE_SIZE: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};
/** The reference reader refuses headers above 100 MB. */
const MAX_HEADER = 100_000_000;

/** What {@link parseSafetensors} returns. The caller owns every tensor. */
export interface ParsedSafetensors {
  readonly tensors: Record<string, tf.Tensor>;
  /** The `__metadata__` string map ({} when absent). */
  readonly metadata: Record<string, string>;
  /** Each tensor's dtype as stored in the file (tfjs holds F64 as float32, U8/I8/I16/U16/I64 as int32). */
  readonly dtypes: Record<string, SafetensorsDtype>;
}

const utf8 = new TextEncoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const compareUtf8 = (a: string, b: string): number => {
  // Rust orders `String`s by UTF-8 bytes; JS `<` compares UTF-16 code units. Same for BMP-only names
  // without surrogates; compare bytes to be exact everywhere.
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
};

const dtypeOf = (fn: string, name: string, t: tf.Tensor): SafetensorsDtype => {
  switch (t.dtype) {
    case 'float32':
      return 'F32';
    case 'int32':
      return 'I32';
    case 'bool':
      return 'BOOL';
    default:
      throw new ValueError(`${fn}: tensor '${name}' has dtype ${t.dtype}; expected float32, int32 or bool`);
  }
};

const bytesOf = (values: tf.TypedArray, dtype: SafetensorsDtype): Uint8Array => {
  if (dtype === 'BOOL') return Uint8Array.from(values as Uint8Array | Int32Array, (v) => (v ? 1 : 0));
  const src = dtype === 'F32' ? Float32Array.from(values) : Int32Array.from(values);
  if (LITTLE_ENDIAN) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const out = new Uint8Array(src.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < src.length; i++) {
    if (dtype === 'F32') dv.setFloat32(4 * i, src[i]!, true);
    else dv.setInt32(4 * i, src[i]!, true);
  }
  return out;
};

interface Entry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly tensor: tf.Tensor;
}

function plan(fn: string, tensors: Record<string, tf.Tensor>, metadata: Record<string, string> | undefined): Entry[] {
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ValueError(`${fn}: metadata '${k}' must be a string, got ${typeof v}`);
    }
  }
  const entries: Entry[] = Object.entries(tensors).map(([name, tensor]) => {
    if (name === '__metadata__') throw new ValueError(`${fn}: a tensor cannot be named '__metadata__'`);
    if (!(tensor instanceof tf.Tensor))
      throw new ValueError(`${fn}: '${name}' must be a tf.Tensor, got ${typeof tensor}`);
    return { name, dtype: dtypeOf(fn, name, tensor), shape: tensor.shape.slice(), tensor };
  });
  entries.sort((a, b) => DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype) || compareUtf8(a.name, b.name));
  return entries;
}

function assemble(entries: Entry[], data: Uint8Array[], metadata: Record<string, string> | undefined): Uint8Array {
  // serde_json's compact form, keys in the reference's order: __metadata__, then tensors by layout.
  let offset = 0;
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  entries.forEach((e, i) => {
    const n = data[i]!.length;
    parts.push(
      `${JSON.stringify(e.name)}:{"dtype":"${e.dtype}","shape":[${e.shape.join(',')}],"data_offsets":[${offset},${offset + n}]}`,
    );
    offset += n;
  });
  const headerRaw = utf8.encode(`{${parts.join(',')}}`);
  const pad = (8 - (headerRaw.length % 8)) % 8;
  const headerLen = headerRaw.length + pad;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(headerRaw, 8);
  out.fill(0x20, 8 + headerRaw.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const d of data) {
    out.set(d, pos);
    pos += d.length;
  }
  return out;
}

/**
 * Serializes named tensors to the safetensors format (huggingface/safetensors: 8-byte little-endian
 * header length N, N bytes of JSON header padded with spaces to a multiple of 8, then the raw
 * little-endian data). Byte-identical to the reference writer: tensors laid out by descending dtype
 * then by name, compact JSON with `__metadata__` first. float32 → F32, int32 → I32, bool → BOOL.
 * Reads tensor values with `dataSync`; see {@link serializeSafetensorsAsync} for GPU backends.
 */
export function serializeSafetensors(
  tensors: Record<string, tf.Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = plan('serializeSafetensors', tensors, metadata);
  const data = entries.map((e) => bytesOf(e.tensor.dataSync(), e.dtype));
  return assemble(entries, data, metadata);
}

/** {@link serializeSafetensors} reading tensor values with `await data()` (no blocking read-back). */
export async function serializeSafetensorsAsync(
  tensors: Record<string, tf.Tensor>,
  metadata?: Record<string, string>,
): Promise<Uint8Array> {
  const entries = plan('serializeSafetensorsAsync', tensors, metadata);
  const data: Uint8Array[] = [];
  for (const e of entries) data.push(bytesOf(await e.tensor.data(), e.dtype));
  return assemble(entries, data, metadata);
}

const f16ToF32 = (h: number): number => {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
};

function decode(fn: string, name: string, dtype: SafetensorsDtype, shape: number[], bytes: Uint8Array): tf.Tensor {
  const n = bytes.length / DTYPE_SIZE[dtype];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) return tf.tensor(new Float32Array(bytes.slice().buffer), shape, 'float32');
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return tf.tensor(out, shape, 'float32');
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return tf.tensor(out, shape, 'float32');
    }
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const h = dv.getUint16(2 * i, true);
        out[i] = dtype === 'F16' ? f16ToF32(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0]!;
      }
      return tf.tensor(out, shape, 'float32');
    }
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0;
      return tf.tensor(out, shape, 'bool');
    }
    case 'I32':
    case 'U8':
    case 'I8':
    case 'I16':
    case 'U16':
    case 'U32':
    case 'I64':
    case 'U64': {
      if (dtype === 'I32' && LITTLE_ENDIAN) return tf.tensor(new Int32Array(bytes.slice().buffer), shape, 'int32');
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        let v: number;
        if (dtype === 'I32') v = dv.getInt32(4 * i, true);
        else if (dtype === 'U8') v = dv.getUint8(i);
        else if (dtype === 'I8') v = dv.getInt8(i);
        else if (dtype === 'I16') v = dv.getInt16(2 * i, true);
        else if (dtype === 'U16') v = dv.getUint16(2 * i, true);
        else if (dtype === 'U32') v = dv.getUint32(4 * i, true);
        else v = Number(dtype === 'I64' ? dv.getBigInt64(8 * i, true) : dv.getBigUint64(8 * i, true));
        if (v < -2147483648 || v > 2147483647) {
          throw new DataError(
            `${fn}: tensor '${name}' (${dtype}) holds ${v} at index ${i}, outside int32 (tfjs has no 64-bit ints)`,
          );
        }
        out[i] = v;
      }
      return tf.tensor(out, shape, 'int32');
    }
    default:
      throw new DataError(`${fn}: tensor '${name}' has dtype ${dtype}, which walkjump cannot read (FP8)`);
  }
}

/**
 * Parses a safetensors file (see {@link serializeSafetensors} for the layout) into tfjs tensors, with
 * the checks of the reference reader: header length within the buffer and ≤ 100 MB, UTF-8 JSON
 * object, known dtypes, shapes of non-negative integers, data_offsets contiguous from 0 and covering
 * the whole data buffer, and (end − begin) = numel × dtype size. Any violation throws
 * {@link DataError} naming the problem. F64 is read as float32 (tfjs has no float64: values are
 * rounded); F16/BF16 as float32 (exact); U8/I8/I16/U16/U32/I64/U64 as int32 (a value outside int32
 * throws); BOOL as bool. `dtypes` reports what the file stored. The caller owns the tensors.
 */
export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  const fn = 'parseSafetensors';
  if (!(bytes instanceof Uint8Array)) throw new DataError(`${fn}: 'bytes' must be a Uint8Array, got ${typeof bytes}`);
  if (bytes.length < 8)
    throw new DataError(`${fn}: file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) throw new DataError(`${fn}: header length ${n64} exceeds the 100 MB limit`);
  const n = Number(n64);
  if (8 + n > bytes.length) {
    throw new DataError(`${fn}: header length ${n} runs past the end of the ${bytes.length}-byte file`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch (e) {
    throw new DataError(`${fn}: header is not valid UTF-8`, { cause: e });
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new DataError(`${fn}: header is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new DataError(
      `${fn}: header must be a JSON object, got ${Array.isArray(header) ? 'an array' : typeof header}`,
    );
  }
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  // Null-prototype maps: a tensor named '__proto__' must not reach Object.prototype.
  const metadata: Record<string, string> = Object.create(null);
  const infos: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new DataError(`${fn}: '__metadata__' must be an object of strings`);
      }
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string')
          throw new DataError(`${fn}: metadata '${k}' must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) throw new DataError(`${fn}: entry '${name}' must be an object`);
    if (typeof info.dtype !== 'string' || !(info.dtype in DTYPE_SIZE)) {
      throw new DataError(`${fn}: tensor '${name}' has unknown dtype ${JSON.stringify(info.dtype)}`);
    }
    const dtype = info.dtype as SafetensorsDtype;
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw new DataError(`${fn}: tensor '${name}' has invalid shape ${JSON.stringify(shape)}`);
    }
    const off = info.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      (off[1] as number) < (off[0] as number)
    ) {
      throw new DataError(`${fn}: tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLen) {
      throw new DataError(
        `${fn}: tensor '${name}' data_offsets [${begin}, ${end}] run past the ${dataLen}-byte data buffer`,
      );
    }
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(numel * DTYPE_SIZE[dtype]) || end - begin !== numel * DTYPE_SIZE[dtype]) {
      throw new DataError(
        `${fn}: tensor '${name}' has shape [${(shape as number[]).join(', ')}] × ${dtype} = ${numel * DTYPE_SIZE[dtype]} bytes but data_offsets span ${end - begin}`,
      );
    }
    infos.push({ name, dtype, shape: shape as number[], begin, end });
  }
  const sorted = infos.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) {
      throw new DataError(
        `${fn}: tensor '${e.name}' starts at byte ${e.begin} but the previous tensor ends at ${pos} (overlap or gap in data_offsets)`,
      );
    }
    pos = e.end;
  }
  if (pos !== dataLen) {
    throw new DataError(
      `${fn}: tensors cover ${pos} bytes but the data buffer holds ${dataLen} (incomplete or trailing data)`,
    );
  }
  const tensors: Record<string, tf.Tensor> = Object.create(null);
  const dtypes: Record<string, SafetensorsDtype> = Object.create(null);
  try {
    for (const e of infos) {
      tensors[e.name] = decode(fn, e.name, e.dtype, e.shape, bytes.subarray(dataStart + e.begin, dataStart + e.end));
      dtypes[e.name] = e.dtype;
    }
  } catch (err) {
    tf.dispose(Object.values(tensors));
    throw err;
  }
  return { tensors, metadata, dtypes };
}
