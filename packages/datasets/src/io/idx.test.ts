import { gzipSync } from 'node:zlib';
import { isDataError } from '@walkjump/tensor';
import { describe, expect, it } from 'vitest';
import { decodeIdx, isGzip, parseIdx } from './idx.ts';

function idx(type: number, shape: number[], body: Uint8Array): Uint8Array {
  const head = new DataView(new ArrayBuffer(4 + 4 * shape.length));
  head.setUint32(0, (type << 8) | shape.length, false);
  shape.forEach((s, i) => {
    head.setUint32(4 + 4 * i, s, false);
  });
  const out = new Uint8Array(head.byteLength + body.length);
  out.set(new Uint8Array(head.buffer), 0);
  out.set(body, head.byteLength);
  return out;
}

const catchErr = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
};

describe('parseIdx', () => {
  it('reads a ubyte 3-D file', () => {
    const a = parseIdx(
      idx(
        0x08,
        [2, 2, 3],
        Uint8Array.from({ length: 12 }, (_, i) => i),
      ),
      'x',
    );
    expect(a.dtype).toBe('uint8');
    expect(a.shape).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
  it('reads big-endian float32 and int32', () => {
    const body = new DataView(new ArrayBuffer(8));
    body.setFloat32(0, 1.5, false);
    body.setFloat32(4, -2.25, false);
    expect(Array.from(parseIdx(idx(0x0d, [2], new Uint8Array(body.buffer))).data)).toEqual([1.5, -2.25]);
    body.setInt32(0, -7, false);
    body.setInt32(4, 123456, false);
    expect(Array.from(parseIdx(idx(0x0c, [2], new Uint8Array(body.buffer))).data)).toEqual([-7, 123456]);
  });
  it('rejects a bad magic number, naming the file', () => {
    const bad = idx(0x08, [3], new Uint8Array(3));
    bad[0] = 0x12;
    const e = catchErr(() => parseIdx(bad, 'foo.idx'));
    expect(isDataError(e)).toBe(true);
    expect(e.message).toMatch(/^foo\.idx: bad IDX magic number 0x12000801/);
    expect(() => parseIdx(idx(0x0a, [3], new Uint8Array(3)), 'f')).toThrow(/bad IDX magic/);
  });
  it('rejects truncated headers and bodies and trailing bytes', () => {
    expect(catchErr(() => parseIdx(new Uint8Array([0, 0, 8]), 'a')).message).toMatch(/^a: not an IDX file/);
    expect(catchErr(() => parseIdx(idx(0x08, [3, 4], new Uint8Array(0)).subarray(0, 9), 'b')).message).toMatch(
      /^b: truncated IDX header/,
    );
    const e = catchErr(() => parseIdx(idx(0x08, [10, 28, 28], new Uint8Array(7839)), 'c.idx'));
    expect(isDataError(e)).toBe(true);
    expect(e.message).toBe('c.idx: truncated IDX body: 7839 bytes of data, expected 7840 for shape [10, 28, 28]');
    expect(catchErr(() => parseIdx(idx(0x08, [2], new Uint8Array(3)), 'd')).message).toMatch(/^d: IDX body too long/);
  });
});

describe('decodeIdx', () => {
  const raw = idx(0x08, [5], Uint8Array.from([1, 2, 3, 4, 5]));
  it('detects gzip by magic bytes, not by name', async () => {
    const gz = gzipSync(raw);
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(raw)).toBe(false);
    expect(Array.from((await decodeIdx(gz, 'plain-name')).data)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from((await decodeIdx(raw, 'x.gz')).data)).toEqual([1, 2, 3, 4, 5]);
  });
  it('a truncated or corrupt gzip stream is a DataError naming the file', async () => {
    const gz = gzipSync(idx(0x08, [1000], new Uint8Array(1000).fill(7)));
    const err1 = await decodeIdx(gz.subarray(0, gz.length - 10), 'half.gz').catch((e: Error) => e);
    expect(isDataError(err1)).toBe(true);
    expect((err1 as Error).message).toMatch(/^half\.gz: gzip stream is corrupt or truncated/);
    const flipped = Uint8Array.from(gz);
    flipped[gz.length - 6]! ^= 0xff; // CRC32 trailer
    const err2 = await decodeIdx(flipped, 'crc.gz').catch((e: Error) => e);
    expect((err2 as Error).message).toMatch(/^crc\.gz: gzip stream is corrupt or truncated/);
  });
});
