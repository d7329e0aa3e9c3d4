// Special functions in float64 JavaScript: log-gamma, log Bessel I, normal CDF, log-sum-exp.

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * log I_ν(x) for ν ≥ 0, x ≥ 0: the power series Σ (x/2)^{2m+ν} / (m! Γ(m+ν+1)) summed in log
 * space from its largest term outwards, so it neither overflows nor loses terms for large x
 * (cost O(x) terms; fine for the concentrations used in practice, x ≲ 1e5).
 */
export function logBesselI(nu: number, x: number): number {
  if (x === 0) return nu === 0 ? 0 : Number.NEGATIVE_INFINITY;
  const h = Math.log(x / 2);
  const q = (x * x) / 4;
  // Index of the largest term: ratio t_{m+1}/t_m = q / ((m+1)(m+1+ν)) crosses 1.
  const mStar = Math.max(0, Math.floor((-(nu + 2) + Math.sqrt(nu * nu + 4 * q)) / 2) + 1);
  const logPeak = (2 * mStar + nu) * h - logGamma(mStar + 1) - logGamma(mStar + nu + 1);
  let sum = 1;
  let t = 1;
  for (let m = mStar; ; m++) {
    t *= q / ((m + 1) * (m + 1 + nu));
    sum += t;
    if (t < 1e-17 * sum) break;
  }
  t = 1;
  for (let m = mStar; m > 0; m--) {
    t *= (m * (m + nu)) / q;
    sum += t;
    if (t < 1e-17 * sum) break;
  }
  return logPeak + Math.log(sum);
}

/** Complementary error function (Numerical Recipes erfcc-style Chebyshev fit, ~1.2e-7 rel.; refined below). */
export function erfc(x: number): number {
  // W. J. Cody's rational approximations would be more exact; this continued-fraction/series pair is ~1e-14.
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2) {
    // erf series: erf(x) = 2/√π Σ (-1)^n x^{2n+1} / (n! (2n+1))
    let term = ax;
    let s = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      s += add;
      if (Math.abs(add) < 1e-17 * Math.abs(s)) break;
    }
    r = 1 - (2 / Math.sqrt(Math.PI)) * s;
  } else {
    // Lentz continued fraction for erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
    let f = ax;
    let c = ax;
    let d = 0;
    for (let n = 1; n < 500; n++) {
      const an = n / 2;
      d = ax + an * d;
      d = d === 0 ? 1e-300 : 1 / d;
      c = ax + an / c;
      if (c === 0) c = 1e-300;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  }
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Φ(x). */
export const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** log Σ exp(a_i) of a plain array. */
export function logSumExp(a: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < a.length; i++) m = Math.max(m, a[i]!);
  if (m === Number.NEGATIVE_INFINITY) return m;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.exp(a[i]! - m);
  return m + Math.log(s);
}

/** Wraps an angle to (−π, π]. */
export function wrapAngle(t: number): number {
  let r = t % (2 * Math.PI);
  if (r <= -Math.PI) r += 2 * Math.PI;
  else if (r > Math.PI) r -= 2 * Math.PI;
  return r;
}
