#!/usr/bin/env python3
"""PyTorch reference for packages/langevin/bench: steps/s of ULA, MALA, Sachs (Alg. 1) and Cheng
(Alg. 2) at 64 chains on (a) an analytic 1000-D Gaussian (score -y) and (b) an MLP energy
784-512-512-1 (swish; score by autograd). Same kernels, same protocol as the TypeScript bench: one
warm-up run, then the median of --runs timed runs of --steps steps. float32,
torch.set_num_threads(--threads). Prints one JSON line. Run with Debian's /usr/bin/python3.
"""
import json
import math
import os
import statistics
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench_common import MLP, bench_args  # noqa: E402

CHAINS = 64


def targets():
    gauss = {
        "dim": 1000,
        "energy": lambda y: 0.5 * (y * y).sum(1),
        "score": lambda y: -y,
    }
    net = MLP()
    for p in net.parameters():
        p.requires_grad_(False)

    def mlp_energy(y):
        return net(y)

    def mlp_score(y):
        with torch.enable_grad():
            y = y.detach().requires_grad_(True)
            e = net(y).sum()
            (g,) = torch.autograd.grad(e, y)
        return -g

    def mlp_energy_score(y):
        with torch.enable_grad():
            y = y.detach().requires_grad_(True)
            e = net(y)
            (g,) = torch.autograd.grad(e.sum(), y)
        return e.detach(), -g

    mlp = {"dim": 784, "energy": mlp_energy, "score": mlp_score, "energy_score": mlp_energy_score}
    gauss["energy_score"] = lambda y: (0.5 * (y * y).sum(1), -y)
    return {"gaussian1000": gauss, "mlp784": mlp}


def finite_rows(*ts):
    ok = None
    for t in ts:
        f = torch.isfinite(t.reshape(t.shape[0], -1)).all(1)
        ok = f if ok is None else ok & f
    return ok


def kernels(t, delta):
    h = delta * delta / 2

    def ula_init(y):
        return {"y": y, "s": t["score"](y)}

    def ula_step(st):
        y = st["y"]
        p = y + h * st["s"] + math.sqrt(2 * h) * torch.randn_like(y)
        s = t["score"](p)
        ok = finite_rows(p, s)[:, None]
        return {"y": torch.where(ok, p, y), "s": torch.where(ok, s, st["s"])}

    def mala_init(y):
        e, s = t["energy_score"](y)
        return {"y": y, "s": s, "e": e}

    def log_q(a, b, sb):
        return -((a - b - h * sb) ** 2).sum(1) / (4 * h)

    def mala_step(st):
        y = st["y"]
        p = y + h * st["s"] + math.sqrt(2 * h) * torch.randn_like(y)
        e, s = t["energy_score"](p)
        la = st["e"] - e + log_q(y, p, s) - log_q(p, y, st["s"])
        acc = torch.rand(y.shape[0]) < torch.exp(torch.clamp(la, max=0))
        a = acc[:, None]
        return {"y": torch.where(a, p, y), "s": torch.where(a, s, st["s"]), "e": torch.where(acc, e, st["e"])}

    gamma, u = 1.0, 1.0
    decay = math.exp(-gamma * delta)
    noise = math.sqrt(-u * math.expm1(-2 * gamma * delta))

    def sachs_init(y):
        return {"y": y, "v": torch.zeros_like(y)}

    def sachs_step(st):
        y, v = st["y"], st["v"]
        ym = y + delta * v / 2
        psi = t["score"](ym)
        vk = v + u * delta * psi / 2
        vn = decay * vk + u * delta * psi / 2 + noise * torch.randn_like(y)
        yn = ym + delta * vn / 2
        ok = finite_rows(yn, vn, psi)[:, None]
        return {"y": torch.where(ok, yn, y), "v": torch.where(ok, vn, v)}

    # Lemma 1 coefficients (closed forms; fine at γδ = 0.1 in float64)
    x = gamma * delta
    phi1 = -math.expm1(-x) / x
    syy = u / gamma * (2 * delta - 4 / gamma * (1 - math.exp(-x)) + 1 / gamma * (1 - math.exp(-2 * x)))
    svv = u * (1 - math.exp(-2 * x))
    syv = u / gamma * (1 - 2 * math.exp(-x) + math.exp(-2 * x))
    l11 = math.sqrt(syy)
    l21 = syv / l11
    l22 = math.sqrt(svv - syv * syv / syy)
    c_vs = u * delta * phi1
    c_yv = delta * phi1
    c_ys = u / gamma * (delta - (1 - math.exp(-x)) / gamma)

    def cheng_init(y):
        return {"y": y, "v": torch.zeros_like(y), "s": t["score"](y)}

    def cheng_step(st):
        y, v, s = st["y"], st["v"], st["s"]
        b1 = torch.randn_like(y)
        b2 = torch.randn_like(y)
        vn = v * math.exp(-x) + c_vs * s + l21 * b1 + l22 * b2
        yn = y + c_yv * v + c_ys * s + l11 * b1
        sn = t["score"](yn)
        ok = finite_rows(yn, vn, sn)[:, None]
        return {"y": torch.where(ok, yn, y), "v": torch.where(ok, vn, v), "s": torch.where(ok, sn, s)}

    return {
        "ula": (ula_init, ula_step),
        "mala": (mala_init, mala_step),
        "sachsUnderdamped": (sachs_init, sachs_step),
        "chengUnderdamped": (cheng_init, cheng_step),
    }


def main():
    a = bench_args(threads=2, extra=lambda p: p.add_argument("--steps", type=int, default=20))
    out = {}
    with torch.no_grad():
        for tname, t in targets().items():
            for kname, (init, step) in kernels(t, 0.1).items():
                st = init(torch.randn(CHAINS, t["dim"]) * 0.5)
                for _ in range(3):
                    st = step(st)
                rates = []
                for _ in range(a.runs):
                    t0 = time.perf_counter()
                    for _ in range(a.steps):
                        st = step(st)
                    rates.append(a.steps / (time.perf_counter() - t0))
                out[f"{tname}/{kname}"] = statistics.median(rates)
    print(json.dumps({"threads": a.threads, "torch": torch.__version__, "stepsPerSecond": out}))


if __name__ == "__main__":
    main()
