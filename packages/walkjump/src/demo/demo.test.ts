import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoLeak } from '@walkjump/testing';
import { isValueError } from '@walkjump/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from './demo.ts';

const tmp = mkdtempSync(join(tmpdir(), 'walkjump-demo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('runDemo', () => {
  it('trains, samples, writes the run folder and leaves no tensor behind', async () => {
    const out = join(tmp, 'run');
    const events: string[] = [];
    const r = await expectNoLeak(() =>
      runDemo({
        out,
        steps: 30,
        chains: 100,
        walkSteps: 20,
        every: 10,
        backend: 'wasm',
        onEvent: (e) => events.push(e.type),
      }),
    );
    expect(r.interrupted).toBe(false);
    expect(r.step).toBe(30);
    expect(r.metrics?.trainedSteps).toBe(30);
    expect(events[0]).toBe('backend');
    expect(events).toContain('train-step');
    for (const f of ['config.json', 'samples.csv', 'metrics.json', 'plot.png'])
      expect(existsSync(join(out, f)), f).toBe(true);
    // Two recorded steps (10 and 20) × (walk + jump) × 100 chains, plus the header.
    expect(readFileSync(join(out, 'samples.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(1 + 2 * 2 * 100);
  });

  it('stops at an aborted signal with a checkpoint and nothing else', async () => {
    const out = join(tmp, 'aborted');
    const ac = new AbortController();
    const r = await expectNoLeak(() =>
      runDemo({
        out,
        steps: 1000,
        chains: 50,
        walkSteps: 10,
        backend: 'wasm',
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'train-step' && e.step === 7) ac.abort();
        },
      }),
    );
    expect(r.interrupted).toBe(true);
    expect(r.step).toBe(7);
    expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'checkpoint.json'), 'utf8')).step).toBe(7);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
  });

  it('rejects bad options with a ValueError naming the option', async () => {
    await expect(runDemo({ out: join(tmp, 'bad'), steps: 0 })).rejects.toSatisfy(
      (e: unknown) => isValueError(e) && /steps must be a positive integer, got 0/.test((e as Error).message),
    );
    await expect(runDemo({ out: join(tmp, 'bad'), sigma: -1 })).rejects.toSatisfy(isValueError);
  });
});
