// Trains walkjump's bundled MNIST classifier (@walkjump/nets `mnistClassifier`): a small swish ConvNet
// used as the feature map of FID-style metrics and for class histograms of walk-jump chains.
// Writes packages/nets/weights/mnist-classifier.safetensors (weights + config metadata) and
// results/mnist-classifier/summary.json (test accuracy on the 10 000 MNIST test images).
//
//   pnpm --filter @walkjump/reproductions repro mnist-classifier [--quick] [--epochs 2] [--no-save]
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { mnist } from '@walkjump/datasets';
import { type ClassifierParams, mnistClassifier, paramCount, saveParams } from '@walkjump/nets';
import {
  adam,
  backendInfo,
  disposeParams,
  fit,
  key,
  logSumExp,
  type Params,
  permutation,
  split,
  useBackend,
} from '@walkjump/tensor';
import { numOpt, prepareOut, type ReproArgs, secondsSince, writeSummary } from './lib/common.ts';
import { dataDir } from './lib/mnist.ts';

export const meta = {
  id: 'mnist-classifier',
  title: 'MNIST classifier for FID-style features and class histograms (nets)',
  source: '001 Sec. 5 (FID of single-chain samples); 000 Sec. 8–10 (mode coverage)',
};

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const WEIGHTS = join(repoRoot, 'packages/nets/weights/mnist-classifier.safetensors');

/** Accuracy of `params` on `images` [n, 784] in batches of 1000. */
function accuracy(params: ClassifierParams, images: Float32Array, labels: Int32Array, n: number): number {
  let correct = 0;
  for (let s = 0; s < n; s += 1000) {
    const m = Math.min(1000, n - s);
    const pred = tf.tidy(() =>
      mnistClassifier.classify(params, tf.tensor2d(images.subarray(s * 784, (s + m) * 784), [m, 784])),
    );
    const p = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < m; i++) if (p[i] === labels[s + i]) correct++;
  }
  return correct / n;
}

export async function run({ out, quick, argv }: ReproArgs): Promise<void> {
  await useBackend(process.env['WALKJUMP_BACKEND'] ?? 'auto');
  const t0 = performance.now();
  const file = prepareOut(out);
  const dir = dataDir();
  const loc = dir === undefined ? {} : { dir };
  const train = await mnist({ ...loc, split: 'train' });
  const test = await mnist({ ...loc, split: 'test' });
  const trainLabels = train.labels!.data;
  const nTrain = quick ? 6000 : train.images.shape[0]!;
  const batch = 128;
  const epochs = numOpt(argv, 'epochs', quick ? 1 : 2);
  const stepsPerEpoch = Math.floor(nTrain / batch);
  const steps = epochs * stepsPerEpoch;
  const lr0 = 2e-3;
  const seed = 0;
  const [kInit, kFit, kPerm] = split(key(seed), 3) as [
    ReturnType<typeof key>,
    ReturnType<typeof key>,
    ReturnType<typeof key>,
  ];
  const params0 = mnistClassifier.init(kInit, [28, 28, 1]);
  console.log(
    `${mnistClassifier.name}: ${paramCount(params0)} parameters; ${steps} steps of batch ${batch} on ${backendInfo().name}`,
  );

  // One permutation per epoch, drawn from the run key.
  const perms = new Map<number, Int32Array>();
  const permOf = (epoch: number): Int32Array => {
    let p = perms.get(epoch);
    if (p === undefined) {
      p = permutation(split(kPerm, epoch + 1)[epoch]!, nTrain);
      perms.set(epoch, p);
    }
    return p;
  };
  const xs = new Float32Array(batch * 784);
  const ys = new Int32Array(batch);
  const result = await fit<{ x: tf.Tensor; y: tf.Tensor }>({
    params: params0 as unknown as Params,
    key: kFit,
    steps,
    // Linear warm-up over 50 steps, then cosine decay to lr0/20.
    optimizer: adam({
      learningRate: (s) =>
        s < 50 ? (lr0 * (s + 1)) / 50 : lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * s) / steps))),
    }),
    batches: (step) => {
      const p = permOf(Math.floor(step / stepsPerEpoch));
      const off = (step % stepsPerEpoch) * batch;
      for (let i = 0; i < batch; i++) {
        const j = p[off + i]!;
        xs.set(train.images.data.subarray(j * 784, (j + 1) * 784), i * 784);
        ys[i] = trainLabels[j]!;
      }
      return { x: tf.tensor4d(xs, [batch, 28, 28, 1]), y: tf.oneHot(tf.tensor1d(ys, 'int32'), 10) };
    },
    // Cross-entropy with log-softmax as z − logSumExp(z) (tf.logSoftmax's 2nd derivative is wrong).
    loss: (p, b) => {
      const z = mnistClassifier.apply(p as unknown as ClassifierParams, b.x);
      return tf.neg(tf.mean(tf.sum(tf.mul(b.y, tf.sub(z, logSumExp(z, -1, true))), -1)));
    },
    logEvery: 50,
    onStep: (e) => {
      console.log(`step ${e.step}/${steps}  loss ${e.loss.toFixed(4)}  ${e.stepsPerSecond.toFixed(2)} steps/s`);
    },
  });
  disposeParams(params0 as unknown as Params);
  const params = result.params as unknown as ClassifierParams;
  const trainSeconds = secondsSince(t0);
  const nTest = test.images.shape[0]!;
  const acc = accuracy(params, test.images.data, test.labels!.data, nTest);
  const acc2000 = accuracy(params, test.images.data, test.labels!.data, 2000);
  console.log(`test accuracy ${(100 * acc).toFixed(2)} % (first 2000: ${(100 * acc2000).toFixed(2)} %)`);
  const summary = {
    id: meta.id,
    network: mnistClassifier.name,
    parameters: paramCount(params),
    backend: backendInfo().name,
    quick,
    trainImages: nTrain,
    epochs,
    batch,
    steps,
    optimizer: `adam, lr ${lr0} (50-step warm-up, cosine to ${lr0 / 20})`,
    seed,
    finalLoss: result.history[result.history.length - 1]?.loss ?? null,
    testAccuracy: acc,
    testAccuracyFirst2000: acc2000,
    seconds: secondsSince(t0),
    trainSeconds,
  };
  if (!quick && !argv.includes('--no-save')) {
    await saveParams(WEIGHTS, params as unknown as Params, {
      format: 'walkjump-nets-classifier-v1',
      config: JSON.stringify(mnistClassifier.config),
      inputShape: JSON.stringify([28, 28, 1]),
      input: 'MNIST intensities in [0, 1] (0 = background), NHWC [B, 28, 28, 1] or [B, 784]',
      testAccuracy: acc.toFixed(4),
      testAccuracyFirst2000: acc2000.toFixed(4),
      trainedSteps: String(steps),
      trainedBy: 'apps/reproductions/src/mnist-classifier.ts',
    });
    console.log(`wrote ${WEIGHTS}`);
  }
  await writeSummary(out, summary);
  void file;
  disposeParams(result.params);
  disposeParams(result.optState.slots as unknown as Params);
}
