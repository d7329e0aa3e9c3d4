"""Golden values for the Cheng et al. (2018) transition of Saremi & Srivastava (2022), Lemma 1
(eqs. 34-35) and the Cholesky factor of eq. 38 with eqs. 39-41, evaluated from the closed forms in
50-digit arithmetic (mpmath), so the small-gamma*delta regime, where the closed forms cancel in
float64, has an exact reference.

Writes packages/langevin/src/kernels/__fixtures__/cheng-coefficients.json.
Run: python3 tooling/reference/langevin_cheng_coefficients.py
"""
import json
import pathlib

from mpmath import mp, mpf, exp, sqrt

mp.dps = 50

cases = []
for delta, gamma, u in [
    (0.5, 1e-9, 1.0), (0.5, 2e-7, 1.0), (0.1, 1e-5, 2.0), (1.0, 1e-4, 0.5), (0.25, 4e-3, 1.0),
    (2.0, 0.005, 1.0), (0.1, 0.1, 1.0), (0.5, 0.5, 1.0), (1.0, 1.0, 1.0), (0.1, 2.0, 10.0),
    (2.0, 0.5, 1.0), (0.5, 3.0, 0.25), (1.0, 20.0, 1.0), (0.5, 400.0, 2.0), (3.0, 1e-3, 4.0),
]:
    d, g, uu = mpf(delta), mpf(gamma), mpf(u)
    e1 = exp(-g * d)
    e2 = exp(-2 * g * d)
    syy = uu / g * (2 * d - 4 / g * (1 - e1) + (1 - e2) / g)  # eq. 39
    svv = uu * (1 - e2)  # eq. 40
    syv = uu / g * (1 - 2 * e1 + e2)  # eq. 41
    l11 = sqrt(syy)  # eq. 38
    l21 = syv / l11
    l22 = sqrt(svv - syv**2 / syy)
    cases.append({
        "stepSize": delta, "friction": gamma, "inverseMass": u,
        "decay": float(e1),  # e^{-gamma delta}, eq. 34 (v_0 coefficient of E[v])
        "yVelocity": float((1 - e1) / g),  # eq. 34, v_0 coefficient of E[y]
        "vScore": float(uu * (1 - e1) / g),  # eq. 34, score coefficient of E[v] (score = -grad f)
        "yScore": float(uu / g * (d - (1 - e1) / g)),  # eq. 34, score coefficient of E[y]
        "sigmaYY": float(syy), "sigmaVV": float(svv), "sigmaYV": float(syv),
        "l11": float(l11), "l21": float(l21), "l22": float(l22),
    })

out = pathlib.Path(__file__).resolve().parents[2] / "packages/langevin/src/kernels/__fixtures__/cheng-coefficients.json"
out.write_text(json.dumps({"source": "tooling/reference/langevin_cheng_coefficients.py (mpmath, 50 digits)", "cases": cases}, indent=1) + "\n")
print(f"wrote {len(cases)} cases to {out}")
