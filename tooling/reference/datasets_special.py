"""Golden values for @walkjump/datasets (run: python3 tooling/reference/datasets_special.py).

Writes tooling/reference/datasets_special.json with SciPy references for log Bessel I,
the von Mises CDF, the vMF mean resultant length A_d(kappa) = I_{d/2}(kappa)/I_{d/2-1}(kappa),
the bivariate von Mises sine-model normalizing constant (2-D quadrature) and erfc.
"""
import json
import math
import os

import numpy as np
from scipy import integrate, special, stats

out = {}
out["logBesselI"] = [
    {"nu": nu, "x": x, "value": float(np.log(special.ive(nu, x)) + x)}
    for nu in [0, 0.5, 1, 1.5, 2, 5, 10.5, 49]
    for x in [1e-3, 0.1, 1.0, 2.0, 10.0, 50.0, 300.0, 2000.0]
]
out["vonMisesCdf"] = [
    {"mu": mu, "kappa": k, "theta": t, "value": float(stats.vonmises.cdf(t, k, loc=mu) - stats.vonmises.cdf(-math.pi, k, loc=mu))}
    for mu in [0.0, 1.0]
    for k in [0.5, 2.0, 20.0]
    for t in [-3.0, -1.0, 0.0, 0.5, 2.5]
]
out["meanResultantLength"] = [
    {"d": d, "kappa": k, "value": float(special.ive(d / 2, k) / special.ive(d / 2 - 1, k))}
    for d in [2, 3, 5, 10]
    for k in [0.5, 2.0, 10.0, 50.0]
]


def sine_logz(k1, k2, lam):
    f = lambda psi, phi: math.exp(k1 * math.cos(phi) + k2 * math.cos(psi) + lam * math.sin(phi) * math.sin(psi))
    z, _ = integrate.dblquad(f, -math.pi, math.pi, -math.pi, math.pi, epsabs=1e-12, epsrel=1e-12)
    return math.log(z)


out["sineLogZ"] = [
    {"kappa1": a, "kappa2": b, "lambda": c, "value": sine_logz(a, b, c)}
    for (a, b, c) in [(1.0, 1.0, 0.0), (2.0, 3.0, 1.0), (5.0, 4.0, -3.0), (1.0, 2.0, 4.0)]
]
out["erfc"] = [{"x": x, "value": float(special.erfc(x))} for x in [-3.0, -0.5, 0.0, 0.3, 1.9, 2.1, 5.0, 10.0]]
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "datasets_special.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote", path)
