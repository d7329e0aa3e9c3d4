// @walkjump/empirical-bayes — Robbins/Miyasawa/Tweedie estimators, their losses and closed-form references.
export { tweedieFromEnergy } from './estimators/tweedie.ts';
export { deenLoss } from './losses/deen.ts';
export type { DeenLossOptions } from './losses/deen.ts';
export { gaussianKdeEnergy } from './references/kde.ts';
export type { GaussianKde, GaussianKdeOptions } from './references/kde.ts';
