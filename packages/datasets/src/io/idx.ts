import { DataError } from '@walkjump/tensor';

/** The element types an IDX file may declare (type byte of the magic number). */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A decoded IDX file: a flat typed array in row-major order and its dimensions. */
export interface IdxArray {
  /** Row-major values; `Uint8Array` for ubyte files (MNIST), otherwise the declared type. */
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
  /** Dimensions from the header, e.g. `[60000, 28, 28]`. */
  readonly shape: readonly number[];
  /** Element type from the magic number. */
  readonly dtype: IdxDtype;
}

const TYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** True when `bytes` starts with the gzip magic 0x1f 0x8b. */
export const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * Parses an uncompressed IDX file (LeCun et al., the MNIST distribution format): a big-endian
 * magic `0x0000TTNN` (TT the element type, NN the number of dimensions), NN big-endian uint32
 * sizes, then the values in row-major order (big-endian for multi-byte types).
 * Checks the magic, the dimensions and that the body has exactly the declared length.
 * `name` (a file name) is used in error messages. The result shares no memory with `bytes`
 * for multi-byte types; for ubyte files it is a view into `bytes`.
 * @throws DataError naming `name` and what is wrong.
 */
export function parseIdx(bytes: Uint8Array, name = '<bytes>'): IdxArray {
  if (bytes.length < 4)
    throw new DataError(`${name}: not an IDX file: ${bytes.length} bytes is shorter than the 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = TYPES[(magic >>> 8) & 0xff];
  const ndim = magic & 0xff;
  if (magic >>> 16 !== 0 || type === undefined || ndim === 0) {
    throw new DataError(
      `${name}: bad IDX magic number 0x${magic.toString(16).padStart(8, '0')} (expected 0x000008NN for ubyte data, e.g. 0x00000803)`,
    );
  }
  const header = 4 + 4 * ndim;
  if (bytes.length < header)
    throw new DataError(`${name}: truncated IDX header: ${bytes.length} bytes, need ${header} for ${ndim} dimensions`);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const s = view.getUint32(4 + 4 * i, false);
    shape.push(s);
    count *= s;
  }
  const expected = header + count * type.bytes;
  if (bytes.length < expected) {
    throw new DataError(
      `${name}: truncated IDX body: ${bytes.length - header} bytes of data, expected ${count * type.bytes} for shape [${shape.join(', ')}]`,
    );
  }
  if (bytes.length > expected) {
    throw new DataError(
      `${name}: IDX body too long: ${bytes.length - header} bytes of data, expected ${count * type.bytes} for shape [${shape.join(', ')}]`,
    );
  }
  let data: IdxArray['data'];
  switch (type.dtype) {
    case 'uint8':
      data = bytes.subarray(header, expected);
      break;
    case 'int8':
      data = new Int8Array(bytes.buffer, bytes.byteOffset + header, count);
      break;
    default: {
      const read = {
        int16: (o: number) => view.getInt16(o, false),
        int32: (o: number) => view.getInt32(o, false),
        float32: (o: number) => view.getFloat32(o, false),
        float64: (o: number) => view.getFloat64(o, false),
      }[type.dtype];
      const Ctor = { int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[type.dtype];
      const arr = new Ctor(count);
      for (let i = 0; i < count; i++) arr[i] = read(header + i * type.bytes);
      data = arr;
    }
  }
  return { data, shape, dtype: type.dtype };
}

/**
 * Decodes IDX bytes that may be gzip-compressed (detected by the magic bytes 0x1f 0x8b, not by
 * the file name). Gunzips with `node:zlib` when available (loaded lazily), else with the
 * browser's `DecompressionStream`. A corrupt or truncated gzip stream is a DataError naming `name`.
 */
export async function decodeIdx(bytes: Uint8Array, name = '<bytes>'): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, name) : bytes, name);
}

/** Gunzips `bytes`; DataError naming `name` on a corrupt or truncated stream. @internal */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    if (typeof process !== 'undefined' && process.versions?.node !== undefined) {
      const zlib = await import('node:zlib');
      const out = zlib.gunzipSync(bytes);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    }
    const ds = new DecompressionStream('gzip');
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(ds);
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DataError(`${name}: gzip stream is corrupt or truncated (${why})`, { cause: e });
  }
}
