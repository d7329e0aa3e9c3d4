#!/usr/bin/env python3
"""PyTorch reference for packages/discrete/bench: the same samplers, written the same way, on the same
targets, timed with the same protocol, so the bench can report ESS/s of @walkjump/discrete against PyTorch
measured in the same run.

Targets (spins y in {-1, 1}^d, float32, C chains batched as [C, d]):
  lattice: f(y) = J sum_<ij> y_i y_j + h sum_i y_i on an L x L periodic lattice (rolls), grad J*nbsum + h.
  rbm:     f(v) = b.v + sum_j log 2cosh(c_j + (W^T v)_j),  grad b + W tanh(c + W^T v).
Samplers (as in packages/discrete/src/samplers):
  gibbs      systematic-scan heat bath, site i flips w.p. sigmoid(f(y^(i)) - f(y)); one f on [C, d] per site.
  metropolis one uniformly chosen site flip, MH.
  gwg        Grathwohl et al. 2021: q(i|y) = softmax(-y * grad f), MH with the reverse proposal.
  dula       Zhang et al. 2022: independent flips with log-odds -y_i g_i - 2/alpha, no correction.
  dmala      the DULA proposal + MH correction.
  twostage   Bach & Saremi 2025 two-stage: z_i = y_i w.p. sigmoid(2/eta); P(y_i = 1 | z) = sigmoid(2(s_i(z) + z_i/eta)).
The statistic is a scalar per chain per step (magnetization mean(y), or the projection u.y/sqrt(d)).
Multi-chain ESS (Stan's estimator with Geyer's initial positive sequence) on the post-burn-in traces
(first 20 % dropped), the same code as the TypeScript bench. Reads a JSON config (path as argv[1]) and prints one JSON line.
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import math
import sys
import time

import numpy as np
import torch


def ess_per_chain(x):
    """Multi-chain ESS (Stan's estimator) of traces x [C, T], per chain; same code as the TypeScript bench."""
    x = np.asarray(x, dtype=np.float64)
    C, T = x.shape
    mu = x.mean(1)
    xc = x - mu[:, None]

    def acov(k):
        return float((xc[:, : T - k] * xc[:, k:]).sum()) / (T * C)

    a0 = acov(0)
    W = a0 * T / (T - 1)
    B = float(((mu - mu.mean()) ** 2).sum()) / max(1, C - 1)
    var_plus = (T - 1) / T * W + B
    if not var_plus > 0:
        return 0.0
    tau = -1.0
    k = 0
    while k + 1 < T:
        pair = (1 - (W - acov(k)) / var_plus) + (1 - (W - acov(k + 1)) / var_plus)
        if pair <= 0:
            break
        tau += 2 * pair
        k += 2
    N = C * T
    return min(N / max(tau, 1e-12), N * math.log10(N)) / C


def make_target(t):
    if t["kind"] == "lattice":
        L, J, h = t["L"], t["J"], t.get("h", 0.0)
        d = L * L

        def f(y):
            g = y.reshape(-1, L, L)
            nb = torch.roll(g, 1, 1) + torch.roll(g, 1, 2)
            return J * (g * nb).sum((1, 2)) + h * y.sum(1)

        def grad(y):
            g = y.reshape(-1, L, L)
            nb = torch.roll(g, 1, 1) + torch.roll(g, -1, 1) + torch.roll(g, 1, 2) + torch.roll(g, -1, 2)
            return J * nb.reshape(-1, d) + h

        return d, f, grad
    W = torch.tensor(t["W"], dtype=torch.float32).reshape(t["d"], t["m"])
    b = torch.tensor(t["b"], dtype=torch.float32)
    c = torch.tensor(t["c"], dtype=torch.float32)

    def f(v):
        a = v @ W + c
        return v @ b + (a + torch.nn.functional.softplus(-2 * a)).sum(1)

    def grad(v):
        return b + torch.tanh(v @ W + c) @ W.T

    return t["d"], f, grad


def flip(y, mask):
    return y * (1 - 2 * mask)


def log_bern(logits, mask):
    return (mask * torch.nn.functional.logsigmoid(logits) + (1 - mask) * torch.nn.functional.logsigmoid(-logits)).sum(1)


def make_kernel(s, f, grad, d):
    kind = s["kind"]
    if kind == "gibbs":

        def step(y, fy, gy):
            C = y.shape[0]
            for i in range(d):
                yf = y.clone()
                yf[:, i] = -yf[:, i]
                ff = f(yf)
                take = torch.rand(C) < torch.sigmoid(ff - fy)
                y = torch.where(take[:, None], yf, y)
                fy = torch.where(take, ff, fy)
            return y, fy, gy

        return step
    if kind == "metropolis":

        def step(y, fy, gy):
            C = y.shape[0]
            site = torch.randint(0, d, (C,))
            mask = torch.nn.functional.one_hot(site, d).float()
            yp = flip(y, mask)
            fp = f(yp)
            take = torch.rand(C) < torch.exp(fp - fy).clamp(max=1)
            return torch.where(take[:, None], yp, y), torch.where(take, fp, fy), gy

        return step
    if kind == "gwg":

        def step(y, fy, gy):
            C = y.shape[0]
            lq = torch.log_softmax(-y * gy, 1)
            site = torch.multinomial(lq.exp(), 1).squeeze(1)
            mask = torch.nn.functional.one_hot(site, d).float()
            yp = flip(y, mask)
            fp, gp = f(yp), grad(yp)
            lr = torch.log_softmax(-yp * gp, 1)
            logr = fp - fy + (lr * mask).sum(1) - (lq * mask).sum(1)
            take = torch.rand(C) < torch.exp(logr).clamp(max=1)
            t2 = take[:, None]
            return torch.where(t2, yp, y), torch.where(take, fp, fy), torch.where(t2, gp, gy)

        return step
    if kind in ("dula", "dmala"):
        alpha = s["stepSize"]

        def step(y, fy, gy):
            C = y.shape[0]
            fwd = -y * gy - 2 / alpha
            mask = (torch.rand_like(y) < torch.sigmoid(fwd)).float()
            yp = flip(y, mask)
            if kind == "dula":
                return yp, fy, grad(yp)
            fp, gp = f(yp), grad(yp)
            rev = -yp * gp - 2 / alpha
            logr = fp - fy + log_bern(rev, mask) - log_bern(fwd, mask)
            take = torch.rand(C) < torch.exp(logr).clamp(max=1)
            t2 = take[:, None]
            return torch.where(t2, yp, y), torch.where(take, fp, fy), torch.where(t2, gp, gy)

        return step
    if kind == "twostage":
        eta = s["eta"]
        keep = 1 / (1 + math.exp(-2 / eta))

        def step(y, fy, gy):
            z = torch.where(torch.rand_like(y) < keep, y, -y)
            p = torch.sigmoid(2 * (grad(z) + z / eta))
            return (torch.rand_like(y) < p).float() * 2 - 1, fy, gy

        return step
    raise ValueError(kind)


def run(cfg):
    torch.manual_seed(cfg.get("seed", 0))
    torch.set_num_threads(cfg.get("threads", 1))
    d, f, grad = make_target(cfg["target"])
    C = cfg["C"]
    u = torch.tensor(cfg["projection"], dtype=torch.float32) if cfg.get("projection") else None
    out = []
    with torch.no_grad():
        for s in cfg["samplers"]:
            step = make_kernel(s, f, grad, d)
            steps = s["steps"]
            burn = steps // 5
            y = (torch.rand(C, d) < 0.5).float() * 2 - 1
            fy, gy = f(y), grad(y)
            stats = []
            t0 = time.perf_counter()
            for t in range(steps):
                y, fy, gy = step(y, fy, gy)
                if t >= burn:
                    stats.append(y.mean(1) if u is None else (y @ u) / math.sqrt(d))
            sec = time.perf_counter() - t0
            tr = torch.stack(stats).T.numpy()
            out.append({"name": s["name"], "seconds": sec, "ms_per_step": 1000 * sec / steps, "ess_per_chain": ess_per_chain(tr)})
    return out


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        cfg = json.load(fh)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": run(cfg)}))
