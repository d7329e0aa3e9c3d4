// Walk-jump sampling of a 2-D target: X uniform on two points ±(2, 0), σ = 0.5.
// Run: pnpm exec tsx --tsconfig docs/examples/tsconfig.json docs/examples/guide-langevin-walk-jump.ts
import * as tf from '@tensorflow/tfjs-core';
import { chengUnderdamped, walkJump } from '@walkjump/langevin';
import { key, tweedie, useBackend } from '@walkjump/tensor';

await useBackend('auto');
// the score of Y = X + σN(0, I) is that of a two-Gaussian mixture
const sigma = 0.5;
const score = (y: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const m = tf.tensor2d([
      [2, 0],
      [-2, 0],
    ]);
    const d2 = tf.sum(tf.square(tf.sub(tf.expandDims(y, 1), m)), 2); // [C, 2]
    const r = tf.softmax(tf.div(d2, -2 * sigma * sigma));
    return tf.div(tf.sub(tf.matMul(r as tf.Tensor2D, m), y), sigma * sigma);
  });
const { walk, jump } = walkJump({
  key: key(0),
  kernel: chengUnderdamped({ score }, { stepSize: sigma / 2, friction: 1 }),
  jump: tweedie(score, sigma),
  init: { scheme: 'uniformPlusNoise', shape: [256, 2], low: -3, high: 3, sigma },
  steps: 2000,
  every: 100,
  burnIn: 200,
});
const meanAbsX = tf.tidy(() => tf.mean(tf.abs(tf.slice(jump, [0, 0, 0], [-1, -1, 1]))).dataSync()[0]);
// jump: [steps / every, chains, 2], one jump per chain every 100 steps
console.log(`jumps ${jump.shape.join('×')}; E|x₁| ≈ ${meanAbsX?.toFixed(3)} (exact 2)`);
tf.dispose([walk, jump]);
