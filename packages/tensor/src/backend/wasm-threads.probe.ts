// Run by wasm-threads.test.ts in a fresh process: initializes wasm with 2 threads and prints what
// backendInfo reports and a matmul's result, so the test can compare it with the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, useBackend } from './backend.ts';

await useBackend('wasm', { threads: 2 });
const a = tf.tensor2d(Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), [64, 48]);
const b = tf.tensor2d(Array.from({ length: 48 * 80 }, (_, i) => Math.cos(i)), [48, 80]);
const wasm = Array.from(tf.matMul(a, b).dataSync());
await tf.setBackend('cpu');
const cpu = Array.from(tf.matMul(a, b).dataSync());
await tf.setBackend('wasm');
console.log(JSON.stringify({ info: backendInfo(), wasm, cpu }));
