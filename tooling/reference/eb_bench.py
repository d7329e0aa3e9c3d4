#!/usr/bin/env python3
"""PyTorch reference for packages/empirical-bayes/bench, same sizes and protocol (median of --runs
timed calls after one warmup; float32; torch.set_num_threads(--threads)):

- deen: DEEN loss (eq. 3) + gradient in θ (double backprop) for the MLP energy 784-512-512-1 (swish),
  batch 128, sigma 0.3;
- kde: exact KDE posterior mean (Tweedie jump of the Gaussian kernel density) for 256 queries
  against 60 000 x 784 centres, processed in blocks of 64 queries;
- chi: exact chi statistics (min, median, mean, max of ||Xi - Xj|| / (2 sqrt d) over all pairs) of
  4 000 x 784 points, Gram-matrix blocks of 512 rows, all values kept for the median.

Prints one JSON line of median milliseconds per call. Run with Debian's /usr/bin/python3.
"""
import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench_common import MLP, bench_args, timed_ms  # noqa: E402


def main():
    a = bench_args(__doc__, threads=2)

    model = MLP()
    x = torch.rand(128, 784)

    def deen():
        y = (x + 0.3 * torch.randn_like(x)).requires_grad_(True)
        (g,) = torch.autograd.grad(model(y).sum(), y, create_graph=True)
        loss = (x - y + 0.09 * g).pow(2).sum(1).mean()
        model.zero_grad(set_to_none=True)
        loss.backward()
        return loss.item()

    c = torch.rand(60000, 784)
    cc = (c * c).sum(1)
    q = torch.rand(256, 784)

    def kde():
        outs = []
        for s in range(0, 256, 64):
            yb = q[s : s + 64]
            logits = -((yb * yb).sum(1, keepdim=True) - 2 * yb @ c.T + cc) / (2 * 0.3**2)
            outs.append(torch.softmax(logits, 1) @ c)
        return torch.cat(outs).sum().item()

    xs = torch.rand(4000, 784)
    xs = xs - xs.mean(0)
    nn = (xs * xs).sum(1)

    def chi():
        vals = []
        n = xs.shape[0]
        for i0 in range(0, n - 1, 512):
            b = min(512, n - 1 - i0)
            d2 = nn[i0 : i0 + b, None] + nn[None, i0:] - 2 * xs[i0 : i0 + b] @ xs[i0:].T
            r = torch.arange(b)[:, None]
            cidx = torch.arange(n - i0)[None, :]
            vals.append(d2.clamp_min(0).sqrt()[cidx > r])
        v = torch.cat(vals) / (2 * 784**0.5)
        return (v.min().item(), v.median().item(), v.mean().item(), v.max().item())

    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "deen_ms": timed_ms(deen, a.runs),
        "kde_ms": timed_ms(kde, max(1, a.runs // 2)),
        "chi_ms": timed_ms(chi, max(1, a.runs // 2)),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
