"""Fit the rational approximation of ``tanh`` used by :func:`brickwork.scan.fastmath.tanh_f32`.

``tanh(x) ~ x * P(x**2) / Q(x**2)`` on ``[0, c]``, where ``c`` is the smallest
float32 whose ``tanh`` rounds to 1 (so clamping to ``[-c, c]`` costs nothing),
``P`` and ``Q`` of degree 4 in ``t = x**2`` with ``P(0) = Q(0) = 1`` (so that
``tanh(x) = x`` exactly for tiny ``x``). The fit minimises the largest
*relative* error over a dense grid, in float64: iterated linearised least
squares (Loeb's method: ``P - r Q`` weighted by ``1 / (r Q_previous)``, with
``r = tanh(x) / x``), with Lawson's reweighting towards the points of largest
error, keeping the best iterate. Run from the repository root::

    python -m benchmarks.fit_tanh

It prints the clamp bound and the coefficients (rounded to float32, as
pasted into ``brickwork/scan/fastmath.py``) with their relative error in
exact arithmetic, in units of 2**-24.
"""

from __future__ import annotations

import numpy as np

DEGREES = (4, 4)  # of P and Q in t = x**2: 8 multiply-adds and one division


def clamp_bound() -> np.float32:
    """The smallest float32 ``c > 0`` with ``float32(tanh(c)) == 1``."""
    lo, hi = np.float32(8).view(np.int32), np.float32(10).view(np.int32)
    x = np.arange(lo, hi, dtype=np.int32).view(np.float32)
    return x[np.tanh(x.astype(np.float64)).astype(np.float32) == 1][0]


def fit(m: int, n: int, c: float, iterations: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients ``p[0..m]``, ``q[0..n]`` (increasing powers of ``t``, ``p[0] = q[0] = 1``)."""
    x = np.concatenate([c / 2 * (1 - np.cos(np.linspace(0, np.pi, 6000))), np.linspace(0, c, 6000)])
    x = np.sort(x[x > 0])
    scale = c * c  # fit in s = t / c**2 in [0, 1] for a well-conditioned system
    s, r = x * x / scale, np.tanh(x) / x
    powers = np.stack([s**k for k in range(1, max(m, n) + 1)], axis=1)
    a = np.concatenate([powers[:, :m], -r[:, None] * powers[:, :n]], axis=1)
    lawson, q_previous, best = np.ones_like(s), np.ones_like(s), (np.inf, None, None)
    for _ in range(iterations):
        weight = np.sqrt(lawson) / (r * q_previous)
        sol = np.linalg.lstsq(a * weight[:, None], (r - 1) * weight, rcond=None)[0]
        p, q = np.concatenate([[1.0], sol[:m]]), np.concatenate([[1.0], sol[m:]])
        q_previous = np.polynomial.polynomial.polyval(s, q)
        error = np.abs(np.polynomial.polynomial.polyval(s, p) / q_previous / r - 1)
        if error.max() < best[0]:
            best = (error.max(), p, q)
        lawson = lawson * error
        lawson /= lawson.sum()
    _, p, q = best
    return p / scale ** np.arange(m + 1), q / scale ** np.arange(n + 1)


def relative_error(p: np.ndarray, q: np.ndarray, c: float) -> float:
    """The largest relative error of ``x P(x**2) / Q(x**2)`` on ``(0, c]``, evaluated in float64."""
    x = np.linspace(0, c, 200001)[1:]
    t = x * x
    y = x * np.polynomial.polynomial.polyval(t, p) / np.polynomial.polynomial.polyval(t, q)
    return float(np.abs(y / np.tanh(x) - 1).max())


def main() -> None:
    c = clamp_bound()
    p, q = fit(*DEGREES, float(c))
    p32, q32 = p.astype(np.float32), q.astype(np.float32)
    print(f"clamp bound c = {c!r} (bits {c.view(np.int32):#x})")
    for name, coefficients in (("P", p32), ("Q", q32)):
        print(f"{name}: " + ", ".join(str(v) for v in coefficients))  # shortest round-trip float32
    for label, (a, b) in (("float64", (p, q)), ("float32", (p32.astype(float), q32.astype(float)))):
        print(f"relative error, {label} coefficients: {relative_error(a, b, float(c)) / 2**-24:.3f} * 2**-24")


if __name__ == "__main__":
    main()
