// Registers every stock tfjs gradient (tfjs-core alone registers none), then the higher-order-safe
// replacements (see ./safe.ts).
import '#stock-gradients';
import { registerSafeGradients } from './safe.ts';

registerSafeGradients();
