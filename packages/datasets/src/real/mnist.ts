import { DataError, ValueError } from '@walkjump/tensor';
import { type DataFile, type DataLocation, readDataFile } from '../io/files.ts';
import { decodeIdx, type IdxArray } from '../io/idx.ts';
import type { ArrayData } from './arrays.ts';

/** An image dataset as plain typed arrays. */
export interface ImageDataset {
  /** Images `[n, 28, 28]`: float32 in [0, 1] (intensity/255), or {0, 1} for binarized data. */
  readonly images: ArrayData<Float32Array>;
  /** Class labels `[n]` as int32 in 0…9; absent for binarized MNIST (it has none). */
  readonly labels?: ArrayData<Int32Array>;
}

/** Options of the MNIST-family loaders: a split and where the files live (see `readDataFile`). */
export interface MnistOptions extends DataLocation {
  /** Which split (default `'train'`). */
  readonly split?: 'train' | 'test';
}

const MNIST_MIRRORS = [
  'https://ossci-datasets.s3.amazonaws.com/mnist',
  'https://storage.googleapis.com/cvdf-datasets/mnist',
];
const FASHION_MIRRORS = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion',
];

const file = (
  dir: string,
  name: string,
  bytes: number,
  md5: string,
  sha256: string | undefined,
  mirrors: readonly string[],
): DataFile => ({
  path: `${dir}/${name}`,
  bytes,
  md5,
  ...(sha256 !== undefined ? { sha256 } : {}),
  urls: mirrors.map((m) => `${m}/${name}`),
});

/**
 * The known files: sizes, md5 (official) and sha256 (computed from the official files).
 * Binarized MNIST is a converted IDX copy of Larochelle's split with no public URL: pass `mirrors`.
 */
export const DATA_FILES = {
  mnist: {
    trainImages: file(
      'mnist',
      'train-images-idx3-ubyte.gz',
      9912422,
      'f68b3c2dcbeaaa9fbdd348bbdeb94873',
      '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
      MNIST_MIRRORS,
    ),
    trainLabels: file(
      'mnist',
      'train-labels-idx1-ubyte.gz',
      28881,
      'd53e105ee54ea40749a09fcbcd1e9432',
      '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
      MNIST_MIRRORS,
    ),
    testImages: file(
      'mnist',
      't10k-images-idx3-ubyte.gz',
      1648877,
      '9fb629c4189551a2d022fa330f9573f3',
      '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
      MNIST_MIRRORS,
    ),
    testLabels: file(
      'mnist',
      't10k-labels-idx1-ubyte.gz',
      4542,
      'ec29112dd5afa0611ce80d1b7f02629c',
      'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
      MNIST_MIRRORS,
    ),
  },
  fashionMnist: {
    trainImages: file(
      'fashion-mnist',
      'train-images-idx3-ubyte.gz',
      26421880,
      '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
      undefined,
      FASHION_MIRRORS,
    ),
    trainLabels: file(
      'fashion-mnist',
      'train-labels-idx1-ubyte.gz',
      29515,
      '25c81989df183df01b3e8a0aad5dffbe',
      'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
      FASHION_MIRRORS,
    ),
    testImages: file(
      'fashion-mnist',
      't10k-images-idx3-ubyte.gz',
      4422102,
      'bef4ecab320f06d8554ea6380940ec79',
      undefined,
      FASHION_MIRRORS,
    ),
    testLabels: file(
      'fashion-mnist',
      't10k-labels-idx1-ubyte.gz',
      5148,
      'bb300cfdad3c16e7a12a480ee83cd310',
      '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
      FASHION_MIRRORS,
    ),
  },
  binarizedMnist: {
    train: file(
      'binarized-mnist',
      'train-images-idx3-ubyte.gz',
      1843518,
      'b9c89373f69e94c11b6e778a0452c4f2',
      'c04379ae8e58d71bce6721550ade24cb3954e4632af9d688750ec12ac5ef6389',
      [],
    ),
    valid: file(
      'binarized-mnist',
      'valid-images-idx3-ubyte.gz',
      368843,
      'ed8406699d4df0d4aa9a1484d8a134f7',
      'b3bcea39ba4a5b014837ac7ca4e0d907d5550445c4efda16081896bae7762ac4',
      [],
    ),
    test: file(
      'binarized-mnist',
      'test-images-idx3-ubyte.gz',
      350130,
      '3b4cd93f2679fa92a947a288351c42db',
      'cba6ce3bda606e1d9ca63374cc3a54722120e712133e2a6b9a492584f1510fca',
      [],
    ),
  },
} as const;

async function loadIdx(f: DataFile, loc: DataLocation): Promise<{ path: string; idx: IdxArray }> {
  const { path, bytes } = await readDataFile(f, loc);
  const idx = await decodeIdx(bytes, path);
  if (idx.dtype !== 'uint8') throw new DataError(`${path}: expected ubyte IDX data, got ${idx.dtype}`);
  return { path, idx };
}

async function loadImages(f: DataFile, loc: DataLocation, binary: boolean): Promise<ArrayData<Float32Array>> {
  const { path, idx } = await loadIdx(f, loc);
  if (idx.shape.length !== 3 || idx.shape[1] !== 28 || idx.shape[2] !== 28) {
    throw new DataError(`${path}: expected images of shape [n, 28, 28], got [${idx.shape.join(', ')}]`);
  }
  const src = idx.data as Uint8Array;
  const out = new Float32Array(src.length);
  if (binary) {
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      if (v > 1) throw new DataError(`${path}: binarized image value ${v} at index ${i} (expected 0 or 1)`);
      out[i] = v;
    }
  } else {
    for (let i = 0; i < src.length; i++) out[i] = src[i]! / 255;
  }
  return { data: out, shape: idx.shape };
}

async function loadLabels(f: DataFile, loc: DataLocation): Promise<ArrayData<Int32Array>> {
  const { path, idx } = await loadIdx(f, loc);
  if (idx.shape.length !== 1)
    throw new DataError(`${path}: expected labels of shape [n], got [${idx.shape.join(', ')}]`);
  const src = idx.data as Uint8Array;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v > 9) throw new DataError(`${path}: label ${v} at index ${i} is outside 0…9`);
    out[i] = v;
  }
  return { data: out, shape: idx.shape };
}

async function loadPair(
  fn: string,
  files: { trainImages: DataFile; trainLabels: DataFile; testImages: DataFile; testLabels: DataFile },
  opts: MnistOptions,
): Promise<ImageDataset> {
  const split = opts.split ?? 'train';
  if (split !== 'train' && split !== 'test')
    throw new ValueError(`${fn}: 'split' must be 'train' or 'test', got ${JSON.stringify(split)}`);
  const [imagesFile, labelsFile] =
    split === 'train' ? [files.trainImages, files.trainLabels] : [files.testImages, files.testLabels];
  const labels = await loadLabels(labelsFile, opts);
  const images = await loadImages(imagesFile, opts, false);
  if (images.shape[0] !== labels.shape[0]) {
    throw new DataError(
      `${imagesFile.path}: ${images.shape[0]} images but ${labels.shape[0]} labels in ${labelsFile.path}`,
    );
  }
  return { images, labels };
}

/**
 * MNIST (LeCun, Bottou, Bengio & Haffner 1998): `split` 'train' (60 000) or 'test' (10 000)
 * images `[n, 28, 28]` as float32 intensities in [0, 1] and int32 labels `[n]`. Files are found,
 * downloaded and verified as described in `readDataFile`. Node only. The arrays are new and owned
 * by the caller; make tensors with `toTensor` or batch them with `batches`.
 * @throws DataError naming the file and the problem (missing, corrupt, truncated, bad checksum).
 */
export function mnist(opts: MnistOptions = {}): Promise<ImageDataset> {
  return loadPair('mnist', DATA_FILES.mnist, opts);
}

/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017), same layout and conventions as {@link mnist}.
 * Node only. @throws DataError naming the file when it is absent and cannot be downloaded.
 */
export function fashionMnist(opts: MnistOptions = {}): Promise<ImageDataset> {
  return loadPair('fashionMnist', DATA_FILES.fashionMnist, opts);
}

/** Options of {@link binarizedMnist}. */
export interface BinarizedMnistOptions extends DataLocation {
  /** Which split of the standard static binarization (default `'train'`). */
  readonly split?: 'train' | 'valid' | 'test';
}

/**
 * Statically binarized MNIST (Salakhutdinov & Murray 2008, as distributed by Larochelle &
 * Murray 2011): the standard split of 50 000 train, 10 000 valid and 10 000 test images
 * `[n, 28, 28]` with float32 values in {0, 1}; no labels. Stored as IDX files (see the data
 * README); there is no default download URL, so pass `dir` or `mirrors`. Node only.
 * @throws DataError naming the file and the problem.
 */
export async function binarizedMnist(opts: BinarizedMnistOptions = {}): Promise<ImageDataset> {
  const split = opts.split ?? 'train';
  const f = DATA_FILES.binarizedMnist[split];
  if (f === undefined)
    throw new ValueError(`binarizedMnist: 'split' must be 'train', 'valid' or 'test', got ${JSON.stringify(split)}`);
  return { images: await loadImages(f, opts, true) };
}
