// @walkjump/nets — networks as data: `init(key, inputShape) → Params`, `apply(params, x, cond?) → Tensor`.
export type { InitScheme, Network, Params } from './core/network.ts';
export type { Activation, ConvParams, DenseParams } from './core/layers.ts';
export type { Conditioning, EmbeddingParams } from './core/embedding.ts';
export { disposeParams, mlp, paramCount } from './mlp/mlp.ts';
export { spectralNormEstimate } from './core/spectral.ts';
export type { SpectralNormOption } from './core/spectral.ts';
export type { MlpOptions, MlpParams } from './mlp/mlp.ts';
export { convEnergy } from './conv/conv-energy.ts';
export type { ConvEnergyOptions, ConvEnergyParams } from './conv/conv-energy.ts';
export { unet } from './unet/unet.ts';
export type { UnetBlockParams, UnetOptions, UnetParams } from './unet/unet.ts';
export { u2net } from './u2net/u2net.ts';
export type { RsuParams, U2netOptions, U2netParams, U2Stage } from './u2net/u2net.ts';
export { resnetDecoder, resnetEncoder, vaeSplit } from './resnet/resnet.ts';
export type {
  BottleneckParams,
  ResnetDecoderOptions,
  ResnetDecoderParams,
  ResnetEncoderOptions,
  ResnetEncoderParams,
  ResnetOptions,
  ResnetStage,
  ResnetStageParams,
} from './resnet/resnet.ts';
export { multimeasurement } from './multimeasurement/multimeasurement.ts';
export type { MultimeasurementOptions } from './multimeasurement/multimeasurement.ts';
export { energyFromScore } from './energy/energy-from-score.ts';
export type { EnergyFromScoreOptions, VectorField } from './energy/energy-from-score.ts';
export { classifier } from './classifier/classifier.ts';
export type { ClassifierNetwork, ClassifierOptions, ClassifierParams } from './classifier/classifier.ts';
export {
  loadMnistClassifier,
  mnistClassifier,
  mnistClassifierFromBytes,
  mnistClassifierWeightsUrl,
  trainedClassifier,
} from './classifier/mnist.ts';
export type { TrainedClassifier } from './classifier/mnist.ts';
export { loadParams, paramsFromBytes, paramsToBytes, saveParams } from './io/io.ts';
