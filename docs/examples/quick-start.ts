// The facade's five-line flow: fit an energy, walk-jump sample it, evaluate the samples.
// Run: pnpm exec tsx --tsconfig docs/examples/tsconfig.json docs/examples/quick-start.ts
import { datasets, evaluate, fitEnergy, tensor, walkJump } from 'walkjump';

await tensor.useBackend('auto');
const ring = datasets.ring8();
const { model } = await fitEnergy({ data: ring, method: 'deen', sigma: 0.3, steps: 500, seed: 0 });
const samples = walkJump({ model, sampler: 'cheng', friction: 1, chains: 500, steps: 200, every: 50, seed: 1 });
const fresh = ring.sample(tensor.key(2), 500);
const report = evaluate({ samples: samples.jump, data: fresh, metrics: ['slicedWasserstein', 'mmd'] });
console.log(`sliced W1 to fresh data ${report.slicedWasserstein?.toFixed(3)} (floor ${report.dataFloor?.slicedWasserstein?.toFixed(3)}), MMD² ${report.mmd?.toExponential(2)}; walk-jump ${samples.ms.toFixed(0)} ms`);
fresh.dispose();
model.dispose();
