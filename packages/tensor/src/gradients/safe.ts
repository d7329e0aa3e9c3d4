/**
 * Installs the higher-order-safe gradients. (Filled in by the second-order work.)
 * @internal
 */
export function registerSafeGradients(): void {}
