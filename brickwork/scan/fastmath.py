"""Scalar ``tanh`` and sigmoid for the elementwise kernels numba generates.

The fused tier writes elementwise kernels as plain loops compiled by numba::

    @numba.njit(cache=True, error_model="numpy")
    def kernel(a, out):
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                out[i, j] = tanh_f32(a[i, j])

and calls these functions on scalars. numba compiles a call to ``math.tanh``
or ``math.exp`` into a call of libm's scalar routine, which keeps LLVM from
vectorising the loop (``math.tanh`` in the kernel below took 25-32 ns per
float32 value here, NumPy's SIMD ``np.tanh`` about 0.5). :func:`tanh_f32` is instead a rational function, multiplies,
adds, one division and a min/max clamp, which numba inlines into the loop and LLVM
vectorises (``<8 x float>`` with FMA on AVX2/AVX-512).

``tanh_f32(x) = x * P(x**2) / Q(x**2)`` with ``P``, ``Q`` of degree 4 in
``x**2`` and ``P(0) = Q(0) = 1``, after clamping ``x`` to ``[-c, c]``, ``c =
9.010914`` the smallest float32 whose ``tanh`` rounds to 1; the result is
clamped to ``[-1, 1]`` (rounding alone reaches ``1 + 2**-23`` just below
``c``, and a sigmoid would leave ``[0, 1]``). It is exactly odd; for tiny
``x`` both polynomials round to 1, so ``tanh_f32(x) = x`` exactly (``-0.0``
and subnormals included); ``+-inf`` give ``+-1`` and NaN propagates (the
clamps are written so that a NaN compares false and passes). The
coefficients minimise the largest relative error over ``[0, c]``, fitted in
float64 by iterated linearised least squares (Loeb) with Lawson reweighting;
``benchmarks/fit_tanh.py`` reproduces them. The approximation error is
``0.36 * 2**-24`` in exact arithmetic, ``0.57 * 2**-24`` with the
coefficients rounded to float32; the rest is the rounding of the ~12 float32
operations of the evaluation.

Measured against ``float32(np.tanh(float64(x)))`` over every non-negative
float32 (``2**31 - 2**23 + 1`` values; the function is odd), with FMA
contraction on x86-64 (AVX-512): at most **5 ulp**; 97.0 % exact, 99.7 %
within 1 ulp. Without FMA (unfused multiply and add) a sample reaches 6 ulp.
:func:`sigmoid_f32` is ``0.5 + 0.5 * tanh_f32(0.5 * x)``: over every float32
its error is at most ``3.05 * 2**-24`` *absolute* (3 ulp for ``x >= 0``),
not relative to its size: for ``x < 0`` its error in ulp grows as the
result shrinks, and below about -18 the result is 0. The NumPy tier's
:class:`~brickwork.tensor.elemwise.Sigmoid` computes the same formula with
``np.tanh``, so the two agree to about ``3.5 * 2**-24`` absolute.

Speed, a (64, 256) float32 array through a kernel as above, on 2 shared
cores with AVX-512 (``benchmarks/fastmath_speed.py``; the machine is noisy):
``tanh_f32`` 0.40-0.57 ns per value against 0.43-0.59 for NumPy's own SIMD
``np.tanh`` (about even: LLVM uses 256-bit vectors on this CPU, NumPy 512),
and ``sigmoid_f32`` 0.47-0.64 against 1.14-1.45 for the four ufuncs
``np.multiply, np.tanh, *=, +=``. With 512-bit vectors
(``NUMBA_CPU_FEATURES`` = the host's features and ``-prefer-256-bit``) the
kernels took 0.32-0.43 and 0.39-0.49 ns. The larger gain of the fused tier
is in fusing several operations into one pass over memory.

The float64 functions serve gradient checks, where the fused tier must agree
with the NumPy tier to 1e-12, accuracy over speed: :func:`tanh_f64` is
libm's ``tanh`` (within 2 ulp of NumPy's SIMD ``np.tanh``, 4.2e-16 relative
on a grid over [-40, 40]) and :func:`sigmoid_f64` the NumPy tier's formula
``0.5 + 0.5 * tanh(0.5 * x)`` on it, so the two tiers agree to ``2**-52``
absolute everywhere, and relative to the size of the sigmoid except far in
the negative tail (2.7e-8 relative at -20; from about -38 one tier may give
0 and the other ``2**-54``): compare them with an absolute tolerance there.

The functions are inlined by numba into the kernels that call them
(``inline="always"``): left to LLVM, inlining happened with numba 0.68 but not
with 0.65 (which PyTensor pins), where the kernels ran ten times slower
with a call per element. Inlined, they take the kernel's flags: the generated
kernels are compiled with ``fastmath={"contract"}`` only (no reordering, no
assumptions about NaN or infinities), so LLVM fuses multiply-adds where the
CPU has FMA.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["tanh_f32", "sigmoid_f32", "tanh_f64", "sigmoid_f64"]

# numba turns module-level NumPy scalars into constants of their dtype; a
# Python float would be float64 and promote the float32 arithmetic to float64.
_C = np.float32(9.010914)  # float32(tanh(c)) == 1 for every float32 c >= _C
_P1, _P2, _P3, _P4 = np.array([0.1338328, 0.0034981612, 2.0647414e-05, 1.34004035e-08], dtype=np.float32)
_Q1, _Q2, _Q3, _Q4 = np.array([0.467166, 0.025887037, 0.00032896685, 7.796832e-07], dtype=np.float32)
_ONE, _HALF = np.float32(1.0), np.float32(0.5)

_F32 = dict(error_model="numpy", fastmath={"contract"}, cache=True, inline="always")
_F64 = dict(error_model="numpy", cache=True, inline="always")


@numba.njit(**_F32)
def tanh_f32(x: np.float32) -> np.float32:
    """``tanh(x)`` in float32, within 5 ulp; vectorisable (no libm call).

    Parameters
    ----------
    x : float32 scalar

    Returns
    -------
    float32 scalar
        ``+-1`` for ``|x| >= 9.010914`` and ``+-inf``, NaN for NaN.
    """
    x = np.float32(x)
    # Conditional expressions, not min/max: they become vector min/max (or a
    # compare and blend) and, comparing false on NaN, keep x when it is NaN.
    x = _C if x > _C else x
    x = -_C if x < -_C else x
    t = x * x
    p = _ONE + t * (_P1 + t * (_P2 + t * (_P3 + t * _P4)))
    q = _ONE + t * (_Q1 + t * (_Q2 + t * (_Q3 + t * _Q4)))
    y = x * (p / q)
    # The rounding can reach 1 + 2**-23 just below c: keep |tanh| <= 1 (and sigmoid in [0, 1]).
    y = _ONE if y > _ONE else y
    return -_ONE if y < -_ONE else y


@numba.njit(**_F32)
def sigmoid_f32(x: np.float32) -> np.float32:
    """``1 / (1 + exp(-x))`` in float32 as ``0.5 + 0.5 * tanh_f32(0.5 * x)``; vectorisable.

    Parameters
    ----------
    x : float32 scalar

    Returns
    -------
    float32 scalar
        In ``[0, 1]``, within ``3.05 * 2**-24`` absolute of the sigmoid (not relative: see the module notes).
    """
    return _HALF + _HALF * tanh_f32(_HALF * np.float32(x))


@numba.njit(**_F64)
def tanh_f64(x: float) -> float:
    """``tanh(x)`` in float64 through libm, within 2 ulp of ``np.tanh`` (accuracy over speed).

    Parameters
    ----------
    x : float64 scalar

    Returns
    -------
    float64 scalar
    """
    return math.tanh(x)


@numba.njit(**_F64)
def sigmoid_f64(x: float) -> float:
    """``1 / (1 + exp(-x))`` in float64 as the NumPy tier computes it, ``0.5 + 0.5 * tanh(0.5 * x)``.

    Parameters
    ----------
    x : float64 scalar

    Returns
    -------
    float64 scalar
        Within about ``2**-53`` absolute (not relative: 0 from about ``x = -38``); NaN for NaN.
    """
    return 0.5 + 0.5 * math.tanh(0.5 * x)
