import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { backendInfo, isBackendError, parseBackendName, useBackend } from '../index.ts';

describe('useBackend', () => {
  const initial = tf.getBackend();
  afterAll(async () => {
    await tf.setBackend(initial);
  });

  it('auto falls through the missing node backends to wasm (SIMD) here', async () => {
    const info = await useBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.requested).toBe('auto');
  });

  it('switches to cpu and back', async () => {
    expect((await useBackend('cpu')).name).toBe('cpu');
    expect(backendInfo()).toMatchObject({ name: 'cpu', simd: false, gpu: false });
    expect((await useBackend('wasm')).name).toBe('wasm');
  });

  it('names the package to install when an explicit backend is missing', async () => {
    for (const [name, pkg] of [
      ['node', '@tensorflow/tfjs-node'],
      ['node-gpu', '@tensorflow/tfjs-node-gpu'],
    ] as const) {
      const err = await useBackend(name).catch((e: unknown) => e);
      expect(isBackendError(err)).toBe(true);
      expect((err as Error).message).toContain(`npm i ${pkg}@4.22.0`);
    }
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects unknown names, also from WALKJUMP_BACKEND', async () => {
    expect(() => parseBackendName('tpu')).toThrow(/must be one of auto, wasm, cpu, node, node-gpu; got "tpu"/);
    const err = await useBackend('gpu').catch((e: unknown) => e);
    expect(isBackendError(err)).toBe(true);
    const old = process.env.WALKJUMP_BACKEND;
    process.env.WALKJUMP_BACKEND = 'bogus';
    try {
      const e2 = await useBackend().catch((e: unknown) => e);
      expect((e2 as Error).message).toMatch(/WALKJUMP_BACKEND must be one of/);
    } finally {
      if (old === undefined) delete process.env.WALKJUMP_BACKEND;
      else process.env.WALKJUMP_BACKEND = old;
    }
  });
});
