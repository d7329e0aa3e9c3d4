// Child process for the kill-and-resume test of lifelongChain: runs (or resumes) a Cheng chain with
// checkpoints; the parent SIGKILLs it mid-run. argv: <dir> <steps>.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@walkjump/tensor';
import { lifelongChain } from '../src/index.ts';
import { chainSetup, resumeRunOptions } from './lifelong-setup.ts';

const [dir, steps] = [process.argv[2]!, Number(process.argv[3])];
await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
const setup = chainSetup();
const { init } = setup;
const res = await lifelongChain({
  ...resumeRunOptions(dir, steps, setup),
  onSample: async (e) => {
    // slow the child down so that the parent can kill it between checkpoints
    if (e.step % 70 === 0) await new Promise((r) => setTimeout(r, 20));
  },
});
tf.dispose([init, res.state as unknown as tf.TensorContainer]);
process.stdout.write(`done ${res.step}\n`);
