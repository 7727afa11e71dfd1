"""Time the numba kernels of :mod:`brickwork.scan.fastmath` against NumPy's ufuncs.

ns per value of a (64, 256) float32 array, best of a few rounds: ``tanh_f32``
in a kernel against ``np.tanh(a, out=out)``, and ``sigmoid_f32`` against the
tanh form in four ufuncs. Run from the repository root::

    python -m benchmarks.fastmath_speed
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numba
import numpy as np

from brickwork.scan.fastmath import sigmoid_f32, tanh_f32


@numba.njit(cache=True, error_model="numpy")
def tanh_kernel(a: np.ndarray, out: np.ndarray) -> None:
    """``out = tanh(a)``, shape (B, H), as the fused tier writes it."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = tanh_f32(a[i, j])


@numba.njit(cache=True, error_model="numpy")
def sigmoid_kernel(a: np.ndarray, out: np.ndarray) -> None:
    """``out = sigmoid(a)``, shape (B, H)."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = sigmoid_f32(a[i, j])


def numpy_sigmoid(a: np.ndarray, out: np.ndarray) -> None:
    """``0.5 + 0.5 * tanh(0.5 * a)`` in four ufuncs, in place."""
    np.multiply(a, np.float32(0.5), out=out)
    np.tanh(out, out=out)
    out *= np.float32(0.5)
    out += np.float32(0.5)


def ns_per_value(run: Callable[[], None], size: int, calls: int = 2000, rounds: int = 5) -> float:
    """The best of ``rounds`` averages over ``calls`` calls, in ns per value."""
    run()
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        best = min(best, (time.perf_counter() - start) / calls)
    return best / size * 1e9


def main() -> None:
    a = np.random.default_rng(0).standard_normal((64, 256)).astype(np.float32) * np.float32(2)
    out = np.empty_like(a)
    timings = {
        "tanh_f32 kernel": lambda: tanh_kernel(a, out),
        "np.tanh": lambda: np.tanh(a, out=out),
        "sigmoid_f32 kernel": lambda: sigmoid_kernel(a, out),
        "NumPy sigmoid, 4 ufuncs": lambda: numpy_sigmoid(a, out),
    }
    for name, run in timings.items():
        print(f"{name:>24}: {ns_per_value(run, a.size):.3f} ns per value")


if __name__ == "__main__":
    main()
