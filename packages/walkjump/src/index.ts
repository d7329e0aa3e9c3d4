// walkjump — the facade: every package as a namespace, the quick-start layer, and the `walkjump` CLI.

// --- the packages, as namespaces
import * as tensor from '@walkjump/tensor';
import * as datasets from '@walkjump/datasets';
import * as nets from '@walkjump/nets';
import * as empiricalBayes from '@walkjump/empirical-bayes';
import * as langevin from '@walkjump/langevin';
import * as manifold from '@walkjump/manifold';
import * as discrete from '@walkjump/discrete';
import * as metrics from '@walkjump/metrics';

export { tensor, datasets, nets, empiricalBayes, langevin, manifold, discrete, metrics };

// --- quick start
export { AVAILABLE_METHODS, FIT_METHODS, fitEnergy } from './api/fit-energy.ts';
export type { DataSampler, FitEnergyOptions, FitEnergyResult, FitEnergyStep } from './api/fit-energy.ts';
export { walkJump, walkJumpAsync, SAMPLERS } from './api/walk-jump.ts';
export type {
  SamplerName,
  WalkJumpAsyncOptions,
  WalkJumpAsyncSamples,
  WalkJumpOptions,
  WalkJumpSamples,
} from './api/walk-jump.ts';
export { evaluate, METRICS } from './api/evaluate.ts';
export type { Classifier, EvaluateOptions, EvaluateResult, MetricName } from './api/evaluate.ts';
export { loadModel, makeEnergyModel, MODEL_FORMAT_VERSION, readModelConfig, saveModel } from './api/model.ts';
export type { EnergyModel, FitMethod, ManifoldSpec, ModelConfig, ModelMethod, NetSpec } from './api/model.ts';
export type { DataInput, HostArray } from './api/data.ts';
export { fitManifold, manifoldOf, sampleManifold } from './api/manifold.ts';
export type { FitManifoldOptions, ManifoldSamples, SampleManifoldOptions } from './api/manifold.ts';
export { sampleBinary } from './api/binary.ts';
export type { BinarySamples, SampleBinaryOptions } from './api/binary.ts';

// --- the demo
export { runDemo } from './demo/demo.ts';
export type { DemoMetrics, DemoResult, SampleMetrics } from './demo/demo.ts';
export type { DemoConfig, DemoEvent, DemoOptions } from './demo/options.ts';
