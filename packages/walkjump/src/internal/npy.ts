import { DataError } from '@walkjump/tensor';

/**
 * Encodes a float32 array as a NumPy `.npy` file (format 1.0, little-endian `<f4`, C order), as
 * `numpy.load` reads it.
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + header.length + 1;
  header += `${' '.repeat((64 - (total % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(body, 10 + header.length);
  return out;
}

const DTYPES: Record<string, { size: number; read: (v: DataView, o: number, le: boolean) => number }> = {
  f4: { size: 4, read: (v, o, le) => v.getFloat32(o, le) },
  f8: { size: 8, read: (v, o, le) => v.getFloat64(o, le) },
  i4: { size: 4, read: (v, o, le) => v.getInt32(o, le) },
  i8: { size: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  u1: { size: 1, read: (v, o) => v.getUint8(o) },
  i1: { size: 1, read: (v, o) => v.getInt8(o) },
  b1: { size: 1, read: (v, o) => v.getUint8(o) },
};

/**
 * Decodes a NumPy `.npy` file (versions 1–3; dtypes f4, f8, i1, i4, i8, u1, b1 in either byte
 * order; C order) to float32. Throws `DataError` naming `name` for anything else.
 */
export function decodeNpy(bytes: Uint8Array, name: string): { data: Float32Array; shape: number[] } {
  const bad = (why: string): DataError => new DataError(`${name} is not a readable .npy file: ${why}`);
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY')
    throw bad('bad magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6] as number;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([<>|=]?)([a-z]\d)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeM = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (descr === null || shapeM === null) throw bad(`cannot parse the header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw bad('Fortran order is not supported (save with np.ascontiguousarray)');
  const dt = DTYPES[descr[2] as string];
  if (dt === undefined) throw bad(`dtype ${descr[2]} is not supported (use float32 or float64)`);
  const shape = (shapeM[1] as string)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const n = shape.reduce((p, q) => p * q, 1);
  const off = start + headerLen;
  if (bytes.length < off + n * dt.size)
    throw bad(`the body holds ${bytes.length - off} bytes, the shape (${shape.join(', ')}) needs ${n * dt.size}`);
  const le = descr[1] !== '>';
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = dt.read(view, off + i * dt.size, le);
  return { data, shape };
}

/**
 * Parses a numeric CSV (comma, semicolon, tab or whitespace separated; an optional header row of
 * non-numbers is skipped) to a float32 matrix. Throws `DataError` naming the line and column of a
 * cell that is not a number, and rows of different lengths.
 */
export function parseCsv(text: string, name: string): { data: Float32Array; shape: number[] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const split = (l: string): string[] => l.trim().split(/\s*[,;\t]\s*|\s+/);
  let first = 0;
  if (
    lines.length > 0 &&
    split(lines[0] as string).some((c) => c !== '' && Number.isNaN(Number(c)) && !/^nan$/i.test(c))
  )
    first = 1;
  const rows = lines.slice(first);
  if (rows.length === 0) throw new DataError(`${name} holds no data rows`);
  const d = split(rows[0] as string).length;
  const data = new Float32Array(rows.length * d);
  rows.forEach((l, i) => {
    const cells = split(l);
    if (cells.length !== d)
      throw new DataError(`${name}: line ${i + first + 1} has ${cells.length} values, expected ${d}`);
    cells.forEach((c, j) => {
      const v = c === '' ? Number.NaN : Number(c);
      if (Number.isNaN(v) && !/^nan$/i.test(c))
        throw new DataError(`${name}: line ${i + first + 1}, column ${j + 1} is not a number: ${JSON.stringify(c)}`);
      data[i * d + j] = v;
    });
  });
  return { data, shape: [rows.length, d] };
}
