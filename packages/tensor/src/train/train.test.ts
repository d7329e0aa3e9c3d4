import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '@walkjump/testing';
import {
  type FitNonFiniteError,
  type Key,
  type Params,
  adam,
  applyUpdates,
  clipByGlobalNorm,
  disposeOptState,
  disposeParams,
  fit,
  flattenParams,
  isNonFiniteError,
  key,
  mapParams,
  normal,
  paramCount,
  paramsStructure,
  sgd,
  unflattenParams,
} from '../index.ts';

const vals = (p: Params): Record<string, number[]> => {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(flattenParams(p))) out[k] = Array.from(t.dataSync());
  return out;
};

describe('parameter trees', () => {
  it('flatten / unflatten / count / structure / map', async () => {
    await expectNoLeak(() => {
      const p = { enc: [{ w: tf.ones([2, 3]), b: tf.zeros([3]) }], s: tf.scalar(1) };
      const flat = flattenParams(p);
      expect(Object.keys(flat)).toEqual(['enc.0.w', 'enc.0.b', 's']);
      expect(flat['enc.0.w']).toBe(p.enc[0]!.w);
      expect(paramCount(p)).toBe(10);
      expect(paramsStructure(p)).toEqual({ enc: [{ w: null, b: null }], s: null });
      const back = unflattenParams(p, flat) as typeof p;
      expect(back.enc[0]!.b).toBe(p.enc[0]!.b);
      expect(Array.isArray(back.enc)).toBe(true);
      const doubled = mapParams((t) => tf.mul(t, 2), p);
      expect(vals(doubled)).toEqual({ 'enc.0.w': [2, 2, 2, 2, 2, 2], 'enc.0.b': [0, 0, 0], s: [2] });
      const summed = applyUpdates(p, doubled);
      expect(vals(summed).s).toEqual([3]);
      expect(() => unflattenParams(p, { ...flat, extra: p.s })).toThrow(/unexpected tensors 'extra'/);
      expect(() => unflattenParams({ a: null, b: null }, { a: p.s })).toThrow(/no tensor named 'b'/);
      expect(() => unflattenParams(p, { ...flat, s: p.enc[0]!.b })).toThrow(/'s' must have shape \[\], got \[3\]/);
      expect(() => flattenParams({ 'a.b': p.s })).toThrow(/contain no '\.'/);
      expect(() => flattenParams({ a: 3 } as unknown as Params)).toThrow(/got number at 'a'/);
      disposeParams([p, doubled, summed]);
    });
  });
});

describe('optimizers', () => {
  it('Adam matches Algorithm 1 of Kingma & Ba over three steps', async () => {
    await expectNoLeak(() => {
      const opt = adam({ learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-3 });
      let params: Params = { w: tf.tensor1d([1, -2]) };
      let state = opt.init(params);
      const gs = [
        [0.5, -1],
        [2, 0.25],
        [-1, 3],
      ];
      // float64 reference
      let w = [1, -2];
      let m = [0, 0];
      let v = [0, 0];
      gs.forEach((g, k) => {
        const t = k + 1;
        m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]!);
        v = v.map((vi, i) => 0.99 * vi + 0.01 * g[i]! ** 2);
        w = w.map((wi, i) => wi - (0.1 * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.99 ** t)) + 1e-3));
        const grads = { w: tf.tensor1d(g) };
        const { updates, state: next } = opt.update(grads, state, params);
        const p2 = applyUpdates(params, updates);
        disposeParams([params, updates, grads]);
        disposeOptState(state);
        params = p2;
        state = next;
      });
      expect(state.step).toBe(3);
      const got = vals(params).w!;
      got.forEach((x, i) => {
        expect(Math.abs(x - w[i]!)).toBeLessThan(1e-6);
      });
      disposeParams(params);
      disposeOptState(state);
      expect(() => adam({ learningRate: -1 })).toThrow(/adam: 'learningRate' must be a positive number, got -1/);
      expect(() => adam({ learningRate: 1, beta2: 1 })).toThrow(/adam: 'beta2' must be in \[0, 1\), got 1/);
    });
  });

  it('SGD with momentum and schedules; clipping by global norm', async () => {
    await expectNoLeak(() => {
      const opt = sgd({ learningRate: (s) => 1 / (s + 1), momentum: 0.5 });
      const p0: Params = tf.tensor1d([0]);
      const s0 = opt.init(p0);
      const g = tf.tensor1d([1]);
      const a = opt.update(g, s0, p0); // b = 1, u = −1
      const b = opt.update(g, a.state, p0); // b = 1.5, u = −0.75
      expect(vals(a.updates)['']).toEqual([-1]);
      expect(vals(b.updates)['']).toEqual([-0.75]);
      const grads = { a: tf.tensor1d([3]), b: tf.tensor1d([4]) };
      const c = clipByGlobalNorm(grads, 1);
      expect(c.norm.dataSync()[0]).toBe(5);
      expect(vals(c.grads)).toEqual({ a: [Math.fround(0.6)], b: [Math.fround(0.8)] });
      const d = clipByGlobalNorm(grads, 10); // inside the ball: returned exactly
      expect(vals(d.grads)).toEqual({ a: [3], b: [4] });
      disposeParams([p0, g, a.updates, b.updates, grads, c.grads, c.norm, d.grads, d.norm]);
      disposeOptState(s0);
      disposeOptState(a.state);
      disposeOptState(b.state);
    });
  });
});

// A small stochastic problem: regress y = x·w* + noise, batches and noise drawn from the step keys.
const wStar = [1.5, -2, 0.5];
const makeBatches = (step: number, k: Key) =>
  tf.tidy(() => {
    const x = normal(k, [16, 3]);
    const y = tf.add(tf.matMul(x, tf.tensor2d(wStar, [3, 1])), tf.mul(0.01, normal(key(step), [16, 1])));
    return { x, y };
  });
const regressionLoss = (p: Params, b: { x: tf.Tensor; y: tf.Tensor }, k: Key) => {
  const { w, c } = p as { w: tf.Tensor; c: tf.Tensor };
  // The loss key perturbs the loss a little, so resume must restore it exactly too.
  const jitter = tf.mul(1e-3, tf.sum(normal(k, [1])));
  return tf.add(tf.mean(tf.square(tf.sub(tf.add(tf.matMul(b.x, w), c), b.y))), jitter);
};
const init = () => ({ w: tf.zeros([3, 1]), c: tf.zeros([1]) });

describe('fit', () => {
  it('20 steps equal 10 steps + resume for 10 more, bit for bit', async () => {
    const dirA = await mkdtemp(join(tmpdir(), 'wj-fit-'));
    const dirB = await mkdtemp(join(tmpdir(), 'wj-fit-'));
    try {
      await expectNoLeak(async () => {
        const params = init();
        const base = { params, loss: regressionLoss, batches: makeBatches, key: key(7), clipNorm: 5 };
        const full = await fit({
          ...base,
          optimizer: adam({ learningRate: 0.05 }),
          steps: 20,
          checkpoint: { dir: dirA, every: 7 },
        });
        const first = await fit({
          ...base,
          optimizer: adam({ learningRate: 0.05 }),
          steps: 10,
          checkpoint: { dir: dirB, every: 4 },
        });
        expect(first.step).toBe(10);
        const fresh = init();
        const second = await fit({
          ...base,
          params: fresh, // ignored when resuming (only its structure is checked)
          key: key(999), // ignored: the checkpoint's key is used
          optimizer: adam({ learningRate: 0.05 }),
          steps: 20,
          checkpoint: { dir: dirB, every: 4 },
          resume: true,
        });
        expect(second.step).toBe(20);
        expect(second.history[0]!.step).toBe(10);
        expect([...second.key]).toEqual([...key(7)]);
        expect(vals(second.params)).toEqual(vals(full.params));
        expect(second.optState.step).toBe(20);
        const fm = vals(full.optState.slots.m!);
        expect(vals(second.optState.slots.m!)).toEqual(fm);
        expect(second.history.map((h) => h.loss)).toEqual(full.history.slice(10).map((h) => h.loss));
        // the loss went down
        expect(full.history[19]!.loss).toBeLessThan(full.history[0]!.loss);
        const manifest = JSON.parse(await readFile(join(dirA, 'checkpoint.json'), 'utf8'));
        expect(manifest.step).toBe(20);
        for (const r of [full, first, second]) {
          disposeParams(r.params);
          disposeOptState(r.optState);
        }
        // fit does not dispose its inputs.
        disposeParams([params, fresh]);
      });
    } finally {
      await rm(dirA, { recursive: true, force: true });
      await rm(dirB, { recursive: true, force: true });
    }
  });

  it('keeps tf.memory().numTensors flat over 500 steps and converges', async () => {
    const dataX = tf.tensor2d([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 1],
    ]);
    const dataY = tf.tensor2d([[1.5], [-2], [0.5], [0]]);
    const counts: number[] = [];
    await expectNoLeak(async () => {
      const params = init();
      const res = await fit({
        params,
        loss: (p, b: { x: tf.Tensor; y: tf.Tensor; scale: tf.Tensor }, _k) => {
          const { w, c } = p as { w: tf.Tensor; c: tf.Tensor };
          return tf.mul(b.scale, tf.mean(tf.square(tf.sub(tf.add(tf.matMul(b.x, w), c), b.y))));
        },
        // The dataset tensors pre-exist (left alone); `scale` is created per call (disposed by fit).
        batches: () => ({ x: dataX, y: dataY, scale: tf.scalar(1) }),
        optimizer: adam({ learningRate: 0.05 }),
        steps: 500,
        key: key(1),
        logEvery: 1,
        onStep: (e) => {
          if (e.step === 10 || e.step === 499) counts.push(tf.memory().numTensors);
          expect(e.stepsPerSecond).toBeGreaterThan(0);
        },
      });
      expect(counts).toHaveLength(2);
      expect(counts[1]).toBe(counts[0]);
      expect(res.history).toHaveLength(500);
      const w = vals(res.params).w!;
      expect(Math.abs(w[0]! - 1.5)).toBeLessThan(1e-2);
      expect(Math.abs(w[1]! + 2)).toBeLessThan(1e-2);
      disposeParams([params, res.params]);
      disposeOptState(res.optState);
    });
    expect(dataX.isDisposed).toBe(false);
    tf.dispose([dataX, dataY]);
  });

  it('gives parameters the loss does not use a zero gradient (they stay put under SGD)', async () => {
    await expectNoLeak(async () => {
      // The DEEN pattern: the loss uses only the input gradient of an energy, so the output bias
      // (and here an unused extra leaf) never reaches the loss.
      const params = { w: tf.tensor1d([0.5, -0.25]), b: tf.scalar(3), unused: tf.tensor1d([1, 2, 3]) };
      const y = tf.tensor2d([
        [1, 2],
        [-1, 0.5],
      ]);
      const res = await fit({
        params,
        loss: (p, _b, _k) => {
          const { w, b } = p as { w: tf.Tensor; b: tf.Tensor };
          const energy = (x: tf.Tensor): tf.Tensor => tf.add(tf.sum(tf.mul(tf.square(x), w)), b);
          const g = tf.grad(energy)(y);
          return tf.mean(tf.square(tf.sub(g, y)));
        },
        batches: () => null,
        optimizer: sgd({ learningRate: 0.1 }),
        steps: 3,
        key: key(2),
      });
      const v = vals(res.params);
      expect(v.b).toEqual([3]);
      expect(v.unused).toEqual([1, 2, 3]);
      expect(v.w![1]).not.toBe(-0.25);
      disposeParams([params, res.params]);
      disposeOptState(res.optState);
      y.dispose();
    });
  });

  it('stops with NonFiniteError naming the step; the last good checkpoint stays intact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wj-fit-'));
    try {
      await expectNoLeak(async () => {
        const params = init();
        let err: unknown;
        try {
          await fit({
            params,
            loss: (p, b: { x: tf.Tensor; y: tf.Tensor; bad: boolean }, k) =>
              b.bad ? tf.mul(regressionLoss(p, b, k), Number.NaN) : regressionLoss(p, b, k),
            batches: (step, k) => ({ ...makeBatches(step, k), bad: step === 5 }),
            optimizer: sgd({ learningRate: 0.01 }),
            steps: 10,
            key: key(2),
            checkpoint: { dir, every: 2 },
          });
        } catch (e) {
          err = e;
        }
        expect(isNonFiniteError(err)).toBe(true);
        const fe = err as FitNonFiniteError;
        expect(fe.message).toMatch(/fit: non-finite loss at step 5 \(loss = NaN/);
        expect(fe.step).toBe(5);
        expect(fe.lastGood.step).toBe(5);
        expect(fe.checkpointPath).toBe(join(dir, 'checkpoint.json'));
        expect(JSON.parse(await readFile(fe.checkpointPath!, 'utf8')).step).toBe(4);
        expect(Object.values(vals(fe.lastGood.params)).flat().every(Number.isFinite)).toBe(true);
        disposeParams([params, fe.lastGood.params]);
        disposeOptState(fe.lastGood.optState);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("abort signal and 'stop' finish the step, checkpoint and return", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wj-fit-'));
    try {
      await expectNoLeak(async () => {
        const params = init();
        const ac = new AbortController();
        const res = await fit({
          params,
          loss: regressionLoss,
          batches: makeBatches,
          optimizer: sgd({ learningRate: 0.01, momentum: 0.9 }),
          steps: 100,
          key: key(3),
          checkpoint: { dir, every: 50 },
          signal: ac.signal,
          onStep: (e) => {
            if (e.step === 3) ac.abort();
          },
        });
        expect(res.stopped).toBe('aborted');
        expect(res.step).toBe(4);
        expect(JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')).step).toBe(4);
        const res2 = await fit({
          params,
          loss: regressionLoss,
          batches: makeBatches,
          optimizer: sgd({ learningRate: 0.01, momentum: 0.9 }),
          steps: 100,
          key: key(3),
          logEvery: 3,
          onStep: (e) => (e.step >= 6 ? 'stop' : undefined),
        });
        expect(res2.stopped).toBe('callback');
        expect(res2.step).toBe(7);
        expect(res2.history.map((h) => h.step)).toEqual([0, 3, 6]);
        disposeParams([params, res.params, res2.params]);
        disposeOptState(res.optState);
        disposeOptState(res2.optState);
      });
      await expect(
        fit({
          params: {},
          loss: () => tf.scalar(0),
          batches: () => null,
          optimizer: sgd({ learningRate: 1 }),
          steps: 1,
          key: key(1),
          resume: true,
        }),
      ).rejects.toThrow(/fit: 'resume' needs 'checkpoint.dir'/);
      await expect(
        fit({
          params: {},
          loss: () => tf.scalar(0),
          batches: () => null,
          optimizer: sgd({ learningRate: 1 }),
          steps: -1,
          key: key(1),
        }),
      ).rejects.toThrow(/fit: 'steps' must be an integer >= 0, got -1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
