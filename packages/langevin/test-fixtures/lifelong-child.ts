// Child process for the kill-and-resume test of lifelongChain: runs (or resumes) a Cheng chain with
// checkpoints; the parent SIGKILLs it mid-run. argv: <dir> <steps>.
import * as tf from '@tensorflow/tfjs-core';
import { key, useBackend } from '@walkjump/tensor';
import { chengUnderdamped, lifelongChain } from '../src/index.ts';
import { chainSetup } from './lifelong-setup.ts';

const [dir, steps] = [process.argv[2]!, Number(process.argv[3])];
await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
const { score, init, jump } = chainSetup();
const res = await lifelongChain({
  kernel: chengUnderdamped({ score }, { stepSize: 0.2, friction: 1 }),
  key: key(11),
  init,
  steps,
  every: 7,
  jump,
  file: `${dir}/samples.f32`,
  checkpoint: { dir: `${dir}/ckpt`, every: 25 },
  onSample: async (e) => {
    // slow the child down so that the parent can kill it between checkpoints
    if (e.step % 70 === 0) await new Promise((r) => setTimeout(r, 20));
  },
});
tf.dispose([init, res.state as unknown as tf.TensorContainer]);
process.stdout.write(`done ${res.step}\n`);
