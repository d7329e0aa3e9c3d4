// Writes .vitepress/theme/demos/digits.json: a few statically binarized MNIST digits (Salakhutdinov &
// Murray 2008; /work/shared/data/binarized-mnist, see its README) for the flip-noise denoising demo,
// bit-packed (28×28 → 98 bytes per digit, row-major, MSB first) and base64-encoded.
// Usage: node scripts/make-digits.mjs <binarized-mnist dir> [train=400] [test=16]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const dir = process.argv[2] ?? '../../../shared/data/binarized-mnist';
const nTrain = Number(process.argv[3] ?? 400);
const nTest = Number(process.argv[4] ?? 16);

function read(file, n) {
  const b = gunzipSync(readFileSync(join(dir, file)));
  if (b.readUInt32BE(0) !== 0x803 || b.readUInt32BE(8) !== 28 || b.readUInt32BE(12) !== 28)
    throw new Error(`${file}: not a 28×28 IDX image file`);
  if (b.readUInt32BE(4) < n) throw new Error(`${file}: fewer than ${n} images`);
  const packed = Buffer.alloc(n * 98);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 784; j++) {
      const v = b[16 + i * 784 + j];
      if (v !== 0 && v !== 1) throw new Error(`${file}: pixel value ${v} is not 0/1`);
      if (v === 1) packed[i * 98 + (j >> 3)] |= 0x80 >> (j & 7);
    }
  }
  return packed.toString('base64');
}

const out = {
  source: 'binarized MNIST (Salakhutdinov & Murray 2008, Larochelle split): first images of train and test',
  width: 28,
  height: 28,
  train: { count: nTrain, bits: read('train-images-idx3-ubyte.gz', nTrain) },
  test: { count: nTest, bits: read('test-images-idx3-ubyte.gz', nTest) },
};
writeFileSync('.vitepress/theme/demos/digits.json', `${JSON.stringify(out)}\n`);
console.log(`wrote ${nTrain} train and ${nTest} test digits`);
