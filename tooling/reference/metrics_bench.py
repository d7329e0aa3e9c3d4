#!/usr/bin/python3
"""Reference timings for packages/metrics/bench/index.ts: `metrics_bench.py TASK FILE [ARGS]` reads float64 data
written by the bench, runs the reference implementation (POT / NumPy / SciPy), and prints one JSON line
{"seconds": …, "value": …}. Timings exclude Python start-up and file reading."""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

task, path = sys.argv[1], sys.argv[2]
data = np.fromfile(path, dtype=np.float64)


def timed(fn):
    t0 = time.perf_counter()
    v = fn()
    return {"seconds": time.perf_counter() - t0, "value": float(v)}


if task == "w1":
    import ot
    n, d = int(sys.argv[3]), int(sys.argv[4])
    x, y = data[: n * d].reshape(n, d), data[n * d:].reshape(n, d)
    a = np.full(n, 1.0 / n)
    out = timed(lambda: ot.emd2(a, a, ot.dist(x, y, metric="euclidean"), numItermax=10_000_000))
elif task == "mmd":
    import scipy.spatial.distance as ssd
    n, d, h = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    x, y = data[: n * d].reshape(n, d), data[n * d:].reshape(n, d)

    def mmd():
        def ksum(A, B):
            s = 0.0
            for i in range(0, len(A), 1000):
                s += np.exp(-ssd.cdist(A[i:i + 1000], B, "sqeuclidean") / (2 * h * h)).sum()
            return s
        kxx, kyy, kxy = ksum(x, x) - n, ksum(y, y) - n, ksum(x, y)
        return kxx / (n * (n - 1)) + kyy / (n * (n - 1)) - 2 * kxy / (n * n)
    out = timed(mmd)
elif task == "fid":
    import scipy.linalg
    n, k = int(sys.argv[3]), int(sys.argv[4])
    A, B = data[: n * k].reshape(n, k), data[n * k:].reshape(n, k)

    def fd():
        m1, m2 = A.mean(0), B.mean(0)
        s1, s2 = np.cov(A, rowvar=False), np.cov(B, rowvar=False)
        cs = scipy.linalg.sqrtm(s1 @ s2).real
        return ((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(cs)
    out = timed(fd)
elif task == "ess":
    from metrics_arviz import ess_raw, split, z_scale
    chains = int(sys.argv[3])
    ary = data.reshape(chains, -1)
    out = timed(lambda: ess_raw(z_scale(split(ary))))
else:
    raise SystemExit(f"unknown task {task}")
print(json.dumps(out))
