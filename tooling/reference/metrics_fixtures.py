#!/usr/bin/python3
"""Golden fixtures for @walkjump/metrics.

Run with Debian's Python (numpy, scipy, POT, emcee):
    /usr/bin/python3 tooling/reference/metrics_fixtures.py
Writes packages/metrics/src/__fixtures__/*.json (committed, so CI needs no Python).

References: POT's exact ot.emd2 and log-domain ot.sinkhorn2; scipy.linalg.sqrtm for the Frechet distance;
scipy.stats.wasserstein_distance for 1-D W1; emcee.autocorr.integrated_time; and a NumPy port of ArviZ's
ess/rhat/mcse formulas (Vehtari et al. 2021), written below.
"""
import json
import os
import sys

import emcee
import numpy as np
import ot
import scipy.linalg
import scipy.stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "metrics", "src", "__fixtures__")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20240601)


def dump(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(name, os.path.getsize(path), "bytes")


def r(x, digits=7):
    """Round to `digits` significant digits (keeps JSON small); references are computed on the rounded values."""
    return np.array([float(f"{v:.{digits}g}") for v in np.ravel(x)]).reshape(np.shape(x))


# ---------------------------------------------------------------- W1 (exact EMD)
w1 = []
for n, m, d, weighted, shift in [(5, 5, 2, False, 0.0), (30, 40, 3, True, 0.5), (100, 80, 2, True, 1.0),
                                 (200, 200, 5, False, 0.3), (50, 70, 10, True, 0.0), (300, 250, 2, False, 2.0)]:
    x = r(rng.normal(size=(n, d)))
    y = r(rng.normal(size=(m, d)) + shift)
    a = r(rng.uniform(0.1, 1.0, size=n)) if weighted else np.ones(n)
    b = r(rng.uniform(0.1, 1.0, size=m)) if weighted else np.ones(m)
    a /= a.sum()
    b /= b.sum()
    M = ot.dist(x, y, metric="euclidean")
    val = float(ot.emd2(a, b, M, numItermax=10_000_000))
    M2 = ot.dist(x, y)  # squared Euclidean
    val2 = float(ot.emd2(a, b, M2, numItermax=10_000_000))
    case = {"x": x.tolist(), "y": y.tolist(), "w1": val, "w2sq": val2}
    if weighted:
        case["a"] = (a * 1.0).tolist()  # normalized weights; JS normalizes again
        case["b"] = (b * 1.0).tolist()
    w1.append(case)

# grid W1 as in Ross et al. (2023) App. B: normalized cell masses, cell-centre distances, exact emd2
gx = r(rng.normal(size=(400, 2)))
gy = r(rng.normal(size=(300, 2)) * 0.7 + np.array([0.5, -0.2]))
bins = 12
bounds = [[-3.0, 3.0], [-3.0, 3.0]]


def hist(p):
    h, _, _ = np.histogram2d(np.clip(p[:, 0], -3, 3 - 1e-12), np.clip(p[:, 1], -3, 3 - 1e-12), bins=bins,
                             range=bounds)
    return h / h.sum()


ha, hb = hist(gx).ravel(), hist(gy).ravel()
cen = (np.arange(bins) + 0.5) * (6.0 / bins) - 3.0
cc = np.stack(np.meshgrid(cen, cen, indexing="ij"), -1).reshape(-1, 2)
ia, ib = ha > 0, hb > 0
grid_val = float(ot.emd2(ha[ia], hb[ib], ot.dist(cc[ia], cc[ib], metric="euclidean")))
# acceptance size: n = m = 2000 in 2-D
lx = r(rng.normal(size=(2000, 2)), 6)
ly = r(rng.normal(size=(2000, 2)) * 0.9 + 0.3, 6)
lu = np.full(2000, 1 / 2000)
large = {"x": lx.tolist(), "y": ly.tolist(),
         "w1": float(ot.emd2(lu, lu, ot.dist(lx, ly, metric="euclidean"), numItermax=10_000_000))}
dump("wasserstein.json", {"cases": w1, "grid": {"x": gx.tolist(), "y": gy.tolist(), "bins": bins,
                                                "bounds": bounds, "value": grid_val}, "large": large})

# ---------------------------------------------------------------- Sinkhorn
sk = []
for n, m, eps in [(40, 50, 0.5), (40, 50, 0.05), (60, 30, 0.01)]:
    x = r(rng.normal(size=(n, 2)))
    y = r(rng.normal(size=(m, 2)) * 0.8 + 0.4)
    a = r(rng.uniform(0.2, 1.0, size=n))
    b = np.ones(m)
    a = a / a.sum()
    b = b / b.sum()
    M = ot.dist(x, y)

    def ot_eps(a, b, M):
        P = ot.bregman.sinkhorn_log(a, b, M, eps, numItermax=200_000, stopThr=1e-12)
        kl = np.sum(P[P > 0] * np.log(P[P > 0] / np.outer(a, b)[P > 0]))
        return P, float(np.sum(P * M) + eps * kl)

    P, obj = ot_eps(a, b, M)
    cost2 = float(ot.sinkhorn2(a, b, M, eps, method="sinkhorn_log", numItermax=200_000, stopThr=1e-12))
    _, oaa = ot_eps(a, a, ot.dist(x, x))
    _, obb = ot_eps(b, b, ot.dist(y, y))
    sk.append({"x": x.tolist(), "y": y.tolist(), "a": a.tolist(), "epsilon": eps, "cost": float(np.sum(P * M)),
               "sinkhorn2": cost2, "objective": obj, "divergence": obj - 0.5 * (oaa + obb)})
dump("sinkhorn.json", {"cases": sk})

# ---------------------------------------------------------------- MMD / energy distance / 1-D W
x = r(rng.normal(size=(300, 3)))
y = r(rng.normal(size=(250, 3)) * 1.2 + 0.3)
Z = np.vstack([x, y])
import scipy.spatial.distance as ssd  # noqa: E402  (after the arrays above)

h = float(np.median(ssd.pdist(Z)))


def mmd2(kxx, kyy, kxy, unbiased):
    n, m = kxx.shape[0], kyy.shape[0]
    if unbiased:
        return float((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                     - 2 * kxy.mean())
    return float(kxx.mean() + kyy.mean() - 2 * kxy.mean())


def kern(kind, A, B):
    if kind == "rbf":
        return np.exp(-ssd.cdist(A, B, "sqeuclidean") / (2 * h * h))
    if kind == "imq":
        return 1 / np.sqrt(1 + ssd.cdist(A, B, "sqeuclidean") / (h * h))
    return (A @ B.T / A.shape[1] + 1) ** 3


mm = {"x": x.tolist(), "y": y.tolist(), "median": h}
for kind in ["rbf", "imq", "polynomial"]:
    for est in ["unbiased", "biased"]:
        mm[f"{kind}_{est}"] = mmd2(kern(kind, x, x), kern(kind, y, y), kern(kind, x, y), est == "unbiased")
dxy, dxx, dyy = ssd.cdist(x, y), ssd.cdist(x, x), ssd.cdist(y, y)
mm["energy_biased"] = float(2 * dxy.mean() - dxx.mean() - dyy.mean())
n, m = len(x), len(y)
mm["energy_unbiased"] = float(2 * dxy.mean() - dxx.sum() / (n * (n - 1)) - dyy.sum() / (m * (m - 1)))
u = r(rng.normal(size=90))
v = r(rng.exponential(size=70))
wu = r(rng.uniform(0.1, 1, size=90))
wv = r(rng.uniform(0.1, 1, size=70))
mm["w1d"] = {"u": u.tolist(), "v": v.tolist(), "wu": wu.tolist(), "wv": wv.tolist(),
             "w1": float(scipy.stats.wasserstein_distance(u, v)),
             "w1_weighted": float(scipy.stats.wasserstein_distance(u, v, wu, wv)),
             "w2": float(np.sqrt(ot.wasserstein_1d(u, v, p=2))),
             "w2_weighted": float(np.sqrt(ot.wasserstein_1d(u, v, wu / wu.sum(), wv / wv.sum(), p=2)))}
dump("mmd.json", mm)

# ---------------------------------------------------------------- Frechet distance
fa = r(rng.normal(size=(500, 16)) @ rng.normal(size=(16, 16)) * 0.3)
fb = r(rng.normal(size=(400, 16)) @ rng.normal(size=(16, 16)) * 0.3 + 0.2)


def frechet(A, B):
    m1, m2 = A.mean(0), B.mean(0)
    s1, s2 = np.cov(A, rowvar=False), np.cov(B, rowvar=False)
    cs = scipy.linalg.sqrtm(s1 @ s2)
    if np.iscomplexobj(cs):
        cs = cs.real
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(cs))


# low-rank case (n < k): singular covariances
ga = r(rng.normal(size=(10, 16)))
gb = r(rng.normal(size=(12, 16)) + 0.1)
sym = rng.normal(size=(8, 8))
sym = r(sym + sym.T)
dump("frechet.json", {"a": fa.tolist(), "b": fb.tolist(), "value": frechet(fa, fb),
                      "lowrank": {"a": ga.tolist(), "b": gb.tolist(), "value": frechet(ga, gb)},
                      "sym": sym.tolist(), "eigvals": np.linalg.eigvalsh(sym).tolist()})


# ---------------------------------------------------------------- MCMC diagnostics
from metrics_arviz import diagnostics  # noqa: E402


def ar1(rho, n_chain, n, offsets=None):
    out = np.empty((n_chain, n))
    for c in range(n_chain):
        xv = rng.normal() / np.sqrt(1 - rho * rho)
        e = rng.normal(size=n)
        for t in range(n):
            xv = rho * xv + e[t]
            out[c, t] = xv
        if offsets is not None:
            out[c] += offsets[c]
    return r(out, 6)


chains = []
for name, ary in [("ar09", ar1(0.9, 4, 2000)), ("ar05_single", ar1(0.5, 1, 3000)),
                  ("stuck", ar1(0.3, 4, 1000, offsets=[0.0, 0.0, 4.0, 4.0])),
                  ("antithetic", ar1(-0.5, 2, 1000))]:
    d = diagnostics(ary)
    acf = emcee.autocorr.function_1d(ary[0])
    d["iatSokal"] = float(emcee.autocorr.integrated_time(ary.T, c=5, quiet=True)[0])
    d["iatSokalChain0"] = float(emcee.autocorr.integrated_time(ary[0], c=5, quiet=True)[0])
    chains.append({"name": name, "draws": ary.tolist(), "ref": d, "acf10": acf[:11].tolist()})
ps = [1e-6, 0.001, 0.02, 0.02425, 0.1, 0.3, 0.5, 0.77, 0.97, 0.999, 1 - 1e-7]
dump("diagnostics.json", {"chains": chains, "ppf": {"p": ps, "z": scipy.stats.norm.ppf(ps).tolist()}})
