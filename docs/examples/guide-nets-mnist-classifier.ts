// The bundled MNIST classifier: class histograms and features for a Fréchet distance of samples.
// Run: pnpm exec tsx --tsconfig docs/examples/tsconfig.json docs/examples/guide-nets-mnist-classifier.ts
import * as tf from '@tensorflow/tfjs-core';
import { loadMnistClassifier } from '@walkjump/nets';
import { key, uniform, useBackend } from '@walkjump/tensor';

await useBackend('auto');
const clf = await loadMnistClassifier();
const samples = uniform(key(0), [16, 784]); // e.g. the jumps of a walk-jump chain, in [0, 1]
const labels = clf.classify(samples); // int32 [16]: class histogram of the chain
const feats = clf.features(samples); // [16, 64]: features for a Fréchet distance
console.log(`labels ${Array.from(labels.dataSync()).join(' ')}; features ${feats.shape.join('×')}`);
tf.dispose([samples, labels, feats]);
clf.dispose();
