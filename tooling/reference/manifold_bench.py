#!/usr/bin/env python3
"""PyTorch reference for packages/manifold/bench: the same constrained samplers and tangent
projections as @walkjump/manifold, written directly in torch (float32 tensors, float64 k x k solves,
like the TypeScript host solves), on the same two constraints:

  sphere  F(x) = (|x|^2 - 1)/2 on S^2 in R^3, 256 chains, E(x) = -2 x_3 (von Mises-Fisher)
  mlp     F: R^16 -> R^4, tanh MLP 16-64-64-4 with fixed random weights, 64 chains, E(x) = 0.5|x|^2

Measured: constrained HMC (RATTLE, 5 leapfrog steps, Newton on the multiplier, reversibility check,
Metropolis-Hastings) steps/s; constrained Langevin (Ross et al. 2023, Alg. 1, Newton) steps/s;
tangent projection throughput (points/s) by the explicit Jacobian and by CG on J J^T (vjp + jvp).
Same timing protocol as the TypeScript bench (one warm-up call, one call to size a run to ~0.6 s,
median rate over --runs runs). torch.set_num_threads(--threads, default 1: on a loaded 2-core machine 2 threads run 50x slower). Prints one JSON line.
Run with Debian's /usr/bin/python3.
"""
import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench_common import bench_args, rate  # noqa: E402

torch.manual_seed(0)


def sphere_F(x):
    return (0.5 * (x.pow(2).sum(1) - 1.0)).unsqueeze(1)


def make_mlp(n=16, h=64, k=4):
    g = torch.Generator().manual_seed(1)
    W1 = (torch.rand(h, n, generator=g) * 2 - 1) * (3.0 / n) ** 0.5
    W2 = (torch.rand(h, h, generator=g) * 2 - 1) * (3.0 / h) ** 0.5
    W3 = (torch.rand(k, h, generator=g) * 2 - 1) * (3.0 / h) ** 0.5
    b1 = torch.zeros(h)
    b2 = torch.zeros(h)
    b3 = torch.full((k,), 0.1)

    def F(x):
        a = torch.tanh(x @ W1.T + b1)
        a = torch.tanh(a @ W2.T + b2)
        return a @ W3.T + b3

    return F


def jacobian(F, x, k):
    """J_F(x) [B, k, n] by one reverse pass over k stacked copies (as the TypeScript host code)."""
    B, n = x.shape
    xr = x.detach().repeat(k, 1).requires_grad_(True)
    u = torch.zeros(k * B, k)
    u[torch.arange(k * B), torch.arange(k * B) // B] = 1.0
    (g,) = torch.autograd.grad(F(xr), xr, u)
    return g.reshape(k, B, n).transpose(0, 1).contiguous()


def project_exact(J, v):
    Jd = J.double()
    r = torch.einsum("bkn,bn->bk", Jd, v.double())
    u = torch.linalg.solve(Jd @ Jd.transpose(1, 2), r.unsqueeze(2)).squeeze(2)
    return (v.double() - torch.einsum("bkn,bk->bn", Jd, u)).float()


def vjp(F, x, u):
    xr = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(F(xr), xr, u)
    return g


def jvp(F, x, v):
    return torch.autograd.functional.jvp(F, x, v)[1]


def project_cg(F, x, v, tol=1e-6, max_iter=40):
    b = jvp(F, x, v)
    mv = lambda w: jvp(F, x, vjp(F, x, w))
    u = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rs = (r * r).sum(1, keepdim=True)
    bn = (b * b).sum(1, keepdim=True).sqrt()
    for _ in range(max_iter):
        Ap = mv(p)
        alpha = rs / (p * Ap).sum(1, keepdim=True).clamp_min(1e-30)
        u = u + alpha * p
        r = r - alpha * Ap
        rs_new = (r * r).sum(1, keepdim=True)
        if bool((rs_new.sqrt() <= tol * bn).all()):
            break
        p = r + (rs_new / rs.clamp_min(1e-30)) * p
        rs = rs_new
    return v - vjp(F, x, u)


def energy_grad(E, x):
    xr = x.detach().requires_grad_(True)
    e = E(xr)
    (g,) = torch.autograd.grad(e.sum(), xr)
    return e.detach(), g


def solve_position(F, y, J0, k, tol=1e-5, max_iter=50):
    """Newton on lambda: F(y - J0^T lambda) = 0, Jacobian -J(z) J0^T (per row)."""
    B = y.shape[0]
    lam = torch.zeros(B, k, dtype=torch.float64)
    z = y.clone()
    ok = torch.zeros(B, dtype=torch.bool)
    J0d = J0.double()
    for _ in range(max_iter + 1):
        with torch.no_grad():
            Fz = F(z)
        res = Fz.norm(dim=1)
        ok = res <= tol
        if bool(ok.all()):
            break
        Jz = jacobian(F, z, k).double()
        step = torch.linalg.solve(Jz @ J0d.transpose(1, 2), Fz.double().unsqueeze(2)).squeeze(2)
        step[ok] = 0
        lam = lam + step
        z = (y.double() - torch.einsum("bkn,bk->bn", J0d, lam)).float()
    return z, ok


def rattle_step(F, E, k, x, p, g, J, h):
    y = x + h * (p - 0.5 * h * g)
    x1, ok = solve_position(F, y, J, k)
    e1, g1 = energy_grad(E, x1)
    J1 = jacobian(F, x1, k)
    p1 = project_exact(J1, (x1 - x) / h - 0.5 * h * g1)
    return x1, p1, e1, g1, J1, ok


def hmc_step(F, E, k, x, h, L):
    e0, g0 = energy_grad(E, x)
    J = jacobian(F, x, k)
    p = project_exact(J, torch.randn_like(x))
    H0 = e0 + 0.5 * p.pow(2).sum(1)
    xs, ps, gs, Js = x, p, g0, J
    good = torch.ones(x.shape[0], dtype=torch.bool)
    e = e0
    for _ in range(L):
        x1, p1, e1, g1, J1, ok = rattle_step(F, E, k, xs, ps, gs, Js, h)
        # Reversibility: from (x1, -p1) the backward step must return to xs.
        xb, _, _, _, _, okb = rattle_step(F, E, k, x1, -p1, g1, J1, h)
        good = good & ok & okb & ((xb - xs).norm(dim=1) <= 1e-4)
        xs, ps, gs, Js, e = x1, p1, g1, J1, e1
    H1 = e + 0.5 * ps.pow(2).sum(1)
    acc = good & (torch.rand(x.shape[0]) < torch.exp(H0 - H1).clamp(max=1.0))
    return torch.where(acc.unsqueeze(1), xs, x)


def langevin_step(F, E, k, x, eps):
    e0, g0 = energy_grad(E, x)
    J = jacobian(F, x, k)
    r = project_exact(J, torch.randn_like(x))
    y = x + eps * r - 0.5 * eps * eps * g0
    x1, ok = solve_position(F, y, J, k)
    return torch.where(ok.unsqueeze(1), x1, x)


def project_to(F, x, k, iters=30):
    for _ in range(iters):
        J = jacobian(F, x, k).double()
        with torch.no_grad():
            Fx = F(x).double()
        u = torch.linalg.solve(J @ J.transpose(1, 2), Fx.unsqueeze(2)).squeeze(2)
        x = (x.double() - torch.einsum("bkn,bk->bn", J, u)).float()
    return x


def bench_case(out, name, F, E, k, x, v, eps, runs):
    """Steps/s of constrained HMC (5 leapfrogs) and Langevin from x, points/s of both tangent projections of v."""
    state = {"x": x}

    def hmc_s():
        state["x"] = hmc_step(F, E, k, state["x"], eps, 5)

    def lan_s():
        state["x"] = langevin_step(F, E, k, state["x"], eps)

    C = x.shape[0]
    out[f"{name}_hmc_steps_per_s"] = rate(hmc_s, runs)
    out[f"{name}_langevin_steps_per_s"] = rate(lan_s, runs)
    out[f"{name}_project_exact_points_per_s"] = C * rate(lambda: project_exact(jacobian(F, x, k), v), runs)
    out[f"{name}_project_cg_points_per_s"] = C * rate(lambda: project_cg(F, x, v), runs)


def main():
    args = bench_args(threads=1, seed=None)
    out = {"torch": torch.__version__, "threads": args.threads}

    # Sphere S^2, 256 chains.
    C = 256
    x = torch.randn(C, 3)
    x = x / x.norm(dim=1, keepdim=True)
    v = torch.randn(C, 3)
    bench_case(out, "sphere", sphere_F, lambda z: -2.0 * z[:, 2], 1, x, v, 0.3, args.runs)

    # Learned (random) MLP constraint R^16 -> R^4, 64 chains.
    F = make_mlp()
    C2 = 64
    x2 = project_to(F, torch.randn(C2, 16) * 0.5, 4)
    v2 = torch.randn(C2, 16)
    bench_case(out, "mlp", F, lambda z: 0.5 * z.pow(2).sum(1), 4, x2, v2, 0.05, args.runs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
