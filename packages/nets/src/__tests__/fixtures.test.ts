// nets against float64 PyTorch (tooling/reference/nets_fixtures.py): the DEEN loss and its parameter
// gradient (∂θ of a ∇_y) through tiny mlp, convEnergy and unet instances, on the cpu and wasm
// backends in float32, as @walkjump/tensor's own DEEN fixtures are checked (max abs error / max |ref| ≤ 1e-5).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { inputGrad, key, type Params, unflattenParams } from '@walkjump/tensor';
import { expectNoLeak, registeredBackends, relError, useBackendInSuite } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { convEnergy } from '../conv/conv-energy.ts';
import { energyFromScore } from '../energy/energy-from-score.ts';
import { disposeParams, mlp } from '../mlp/mlp.ts';
import { unet } from '../unet/unet.ts';

interface Arr {
  shape: number[];
  data: number[];
}
interface Fixture {
  sigma: number;
  x: Arr;
  y: Arr;
  params: Record<string, Arr>;
  loss: number;
  grads: Record<string, number[]>;
  t?: number[];
}

const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`../__fixtures__/deen-${name}.json`, import.meta.url), 'utf8')) as Fixture;

type Energy = (p: Params, y: tf.Tensor) => tf.Tensor;

const CASES: Record<string, { template: () => Params; energy: Energy }> = {
  mlp: (() => {
    const net = mlp({ widths: [16, 16] });
    return { template: () => net.init(key(0), [8]) as Params, energy: (p, y) => net.apply(p as never, y) };
  })(),
  conv: (() => {
    const net = convEnergy({ channels: [4, 8], hidden: 8 });
    return { template: () => net.init(key(0), [8, 8, 1]) as Params, energy: (p, y) => net.apply(p as never, y) };
  })(),
  unet: (() => {
    const net = unet({ channels: [4, 8], conditioning: { dim: 8 } });
    const T = fixture('unet').t as number[];
    return {
      template: () => net.init(key(0), [8, 8, 1]) as Params,
      energy: (p, y) =>
        tf.tidy(() => {
          const t = tf.tensor1d(T);
          return energyFromScore((z) => net.apply(p as never, z, t), { field: 'energyGradient' })(y);
        }),
    };
  })(),
};

/** DEEN loss mean_b ‖x_b − y_b + σ²∇_y E_θ(y_b)‖² and the relative error of its gradient per parameter. */
function deen(name: string, fx: Fixture): { loss: number; errors: Record<string, number> } {
  const c = CASES[name]!;
  const template = c.template();
  try {
    return tf.tidy(() => {
      const names = Object.keys(fx.params);
      const leaves = names.map((k) => tf.tensor(fx.params[k]!.data, fx.params[k]!.shape));
      // Validates names and shapes against the network's own parameter tree.
      unflattenParams(template, Object.fromEntries(names.map((k, i) => [k, leaves[i]!])));
      const x = tf.tensor(fx.x.data, fx.x.shape);
      const y = tf.tensor(fx.y.data, fx.y.shape);
      const B = fx.x.shape[0]!;
      const lossFn = (): tf.Scalar => {
        const p = unflattenParams(template, Object.fromEntries(names.map((k, i) => [k, leaves[i]!])));
        const g = inputGrad((u) => c.energy(p, u))(y);
        const r = tf.reshape(tf.add(tf.sub(x, y), tf.mul(fx.sigma ** 2, g)), [B, -1]);
        return tf.mean(tf.sum(tf.square(r), 1)) as tf.Scalar;
      };
      const { value, grads } = tf.engine().gradients(lossFn, leaves, undefined, true);
      const errors = Object.fromEntries(
        names.map((k, i) => {
          const g = grads[i];
          const got = g === undefined || g === null ? new Float32Array(fx.grads[k]!.length) : g.dataSync();
          return [k, relError(got, fx.grads[k]!)];
        }),
      );
      return { loss: value.dataSync()[0]!, errors };
    });
  } finally {
    disposeParams(template);
  }
}

for (const backend of registeredBackends()) {
  describe(`nets against float64 PyTorch: DEEN parameter gradients (${backend}, float32)`, () => {
    useBackendInSuite(backend);

    for (const name of ['mlp', 'conv', 'unet']) {
      it(`${name}: loss and every parameter gradient within 1e-5 relative`, async () => {
        const fx = fixture(name);
        const { loss, errors } = await expectNoLeak(() => deen(name, fx));
        const worst = Math.max(...Object.values(errors));
        console.info(
          `[${backend}] DEEN ${name}: loss rel error ${(Math.abs(loss - fx.loss) / fx.loss).toExponential(2)}, worst parameter-gradient rel error ${worst.toExponential(2)}`,
        );
        expect(Math.abs(loss - fx.loss) / fx.loss).toBeLessThan(1e-5);
        for (const [k, e] of Object.entries(errors)) expect(e, `parameter ${k}`).toBeLessThan(1e-5);
      });
    }
  });
}
