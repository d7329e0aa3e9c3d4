import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { foldIn, key, loadCheckpoint, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { chainSetup, resumeRunOptions } from '../../test-fixtures/lifelong-setup.ts';
import { ula } from '../kernels/overdamped.ts';
import { lifelongChain } from './lifelong.ts';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..', '..');

const gauss = (y: tf.Tensor) => tf.tidy(() => tf.neg(y));

describe('lifelongChain', () => {
  it('a SIGKILLed chain resumes to the same final state and the same sample file, bit for bit', async () => {
    const steps = 400;
    const dirA = mkdtempSync(join(tmpdir(), 'wj-lifelong-a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'wj-lifelong-b-'));
    try {
      // uninterrupted, in this process
      const setup = chainSetup();
      const { init, dispose } = setup;
      const ref = await lifelongChain(resumeRunOptions(dirA, steps, setup));
      const refPos = Array.from(ref.state.position.dataSync());
      const refVel = Array.from((ref.state as unknown as { velocity: tf.Tensor }).velocity.dataSync());
      tf.dispose([init, ref.state as unknown as tf.TensorContainer]);

      // a child process, killed once it has written a checkpoint past step 100
      const child = spawn(
        process.execPath,
        ['--conditions=@walkjump/source', '--import', 'tsx', 'test-fixtures/lifelong-child.ts', dirB, String(steps)],
        {
          cwd: pkg,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: process.env,
        },
      );
      let stderr = '';
      child.stderr.on('data', (b) => {
        stderr += String(b);
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      let killedAt = -1;
      for (let i = 0; i < 1200 && killedAt < 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const m = join(dirB, 'ckpt', 'checkpoint.json');
        if (existsSync(m)) {
          const s = JSON.parse(readFileSync(m, 'utf8')).step as number;
          if (s >= 100) {
            child.kill('SIGKILL');
            killedAt = s;
          }
        }
        if (child.exitCode !== null) break;
      }
      await exited;
      expect(killedAt, `child never checkpointed past 100: ${stderr}`).toBeGreaterThanOrEqual(100);
      expect(killedAt).toBeLessThan(steps);

      // resume in this process
      const { init: _disposed, ...resumeOpts } = resumeRunOptions(dirB, steps, setup);
      const res = await lifelongChain(resumeOpts);
      expect(res.resumedFrom).toBeGreaterThanOrEqual(killedAt);
      expect(res.step).toBe(steps);
      expect(Array.from(res.state.position.dataSync())).toEqual(refPos);
      expect(Array.from((res.state as unknown as { velocity: tf.Tensor }).velocity.dataSync())).toEqual(refVel);
      tf.dispose(res.state as unknown as tf.TensorContainer);
      dispose();
      const a = readFileSync(join(dirA, 'samples.f32'));
      const b = readFileSync(join(dirB, 'samples.f32'));
      expect(a.byteLength).toBe(Math.floor(steps / 7) * 16 * 3 * 4 * 2);
      expect(b.equals(a)).toBe(true);
      // the checkpoint holds the full state: position, velocity, cached score, key and step
      const ck = await loadCheckpoint(join(dirB, 'ckpt'));
      expect(Object.keys(ck.params).sort()).toEqual(['position', 'score', 'velocity']);
      expect(ck.step).toBe(steps);
      expect(Array.from(ck.key)).toEqual(Array.from(key(11)));
      tf.dispose(Object.values(ck.params as Record<string, tf.Tensor>));
    } finally {
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
    }
  });

  it('holds tf.memory flat over 5 000 steps while streaming, and RSS within 5 % after warm-up', async () => {
    await expectNoLeak(async () => {
      const init = tf.randomNormal([64, 10]);
      const counts: number[] = [];
      const rss: number[] = [];
      const res = await lifelongChain({
        kernel: ula({ score: gauss }, { stepSize: 0.5 }),
        key: key(1),
        init,
        steps: 5000,
        every: 250,
        jump: (y) => tf.tidy(() => tf.mul(y, 0.5)),
        onSample: (e) => {
          counts.push(tf.memory().numTensors);
          rss.push(process.memoryUsage().rss);
          expect(e.jump?.shape).toEqual([64, 10]);
        },
      });
      expect(res.status).toBe('completed');
      expect(new Set(counts).size).toBe(1);
      const late = rss.slice(4);
      expect(Math.max(...late) / Math.min(...late)).toBeLessThan(1.05);
      tf.dispose([init, res.state as unknown as tf.TensorContainer]);
    });
  });

  it('reports a non-finite divergence with the first step a chain reverted, and stops at the last good state', async () => {
    await expectNoLeak(async () => {
      // the score is NaN where y > 2.2: the kernel reverts the chain and flags it in Info
      const score = (y: tf.Tensor) =>
        tf.tidy(() => tf.where(tf.greater(y, 2.2), tf.fill(y.shape, Number.NaN), tf.neg(y)));
      const kernel = ula({ score }, { stepSize: 0.8 });
      const init = tf.zeros([8, 1]);
      // the first flagged step, by running the kernel by hand with the driver's keys
      let s = kernel.init(init);
      let first = -1;
      for (let k = 1; k <= 500 && first < 0; k++) {
        const [n, info] = kernel.step(foldIn(key(2), k), s);
        const mx = tf.max(info.nonFinite);
        if (mx.dataSync()[0] === 1) first = k;
        mx.dispose();
        tf.dispose([s as unknown as tf.TensorContainer, info as unknown as tf.TensorContainer]);
        s = n;
      }
      tf.dispose(s as unknown as tf.TensorContainer);
      expect(first).toBeGreaterThan(0);
      const events: number[] = [];
      const res = await lifelongChain({
        kernel,
        key: key(2),
        init,
        steps: 500,
        check: { every: 10 },
        onDivergence: (e) => events.push(e.step),
      });
      expect(res.status).toBe('diverged');
      expect(res.divergences).toHaveLength(1);
      expect(res.divergences[0]).toMatchObject({
        step: first,
        reason: 'nonFinite',
        action: 'stop',
        restoredTo: Math.floor((first - 1) / 10) * 10,
      });
      expect(events).toEqual([first]);
      expect(res.step).toBe(res.divergences[0]!.restoredTo);
      tf.dispose([init, res.state as unknown as tf.TensorContainer]);
    });
  });

  it('restarts from the last good state with fresh randomness until the chain completes (exploding magnitude)', async () => {
    await expectNoLeak(async () => {
      const init = tf.zeros([4, 1]);
      const energy = (y: tf.Tensor) => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(y), 1)));
      const res = await lifelongChain({
        kernel: ula({ score: gauss }, { stepSize: 1 }),
        key: key(5),
        init,
        steps: 300,
        check: { every: 10, maxAbs: 2.6, onDivergence: 'restart', maxRestarts: 500 },
      });
      expect(res.status).toBe('completed');
      expect(res.step).toBe(300);
      expect(res.restarts).toBeGreaterThan(0);
      expect(
        res.divergences.every((e) => e.reason === 'magnitude' && e.action === 'restart' && e.restoredTo % 10 === 0),
      ).toBe(true);
      expect(Math.max(...Array.from(res.state.position.dataSync()).map(Math.abs))).toBeLessThanOrEqual(2.6);
      tf.dispose(res.state as unknown as tf.TensorContainer);
      // exploding energy, stop policy
      const r2 = await lifelongChain({
        kernel: ula({ score: gauss }, { stepSize: 1 }),
        key: key(5),
        init,
        steps: 300,
        check: { every: 10, energy, maxEnergy: 2 },
      });
      expect(r2.status).toBe('diverged');
      expect(r2.divergences[0]?.reason).toBe('energy');
      expect(r2.divergences[0]!.value).toBeGreaterThan(2);
      tf.dispose([init, r2.state as unknown as tf.TensorContainer]);
    });
  });

  it('rejects misuse before running', async () => {
    await expectNoLeak(async () => {
      const kernel = ula({ score: gauss }, { stepSize: 0.1 });
      await expect(lifelongChain({ kernel, key: key(0), steps: 10 })).rejects.toThrow(ShapeError);
      const y = tf.zeros([2, 2]);
      await expect(lifelongChain({ kernel, key: key(0), init: y, steps: -1 })).rejects.toThrow(ValueError);
      await expect(lifelongChain({ kernel, key: key(0), init: y, steps: 5, check: { maxEnergy: 1 } })).rejects.toThrow(
        /needs 'check.energy'/,
      );
      await expect(
        lifelongChain({ kernel, key: key(0), init: y, steps: 5, checkpoint: { dir: '', every: 1 } }),
      ).rejects.toThrow(ValueError);
      y.dispose();
    });
  });
});
