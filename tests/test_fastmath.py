"""The scalar functions of the numba kernels: accuracy in ulp, special values, vectorisation."""

import re

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from brickwork.scan.fastmath import sigmoid_f32, sigmoid_f64, tanh_f32, tanh_f64  # noqa: E402
from brickwork.tensor.elemwise import sigmoid  # noqa: E402

ULP_1 = 2.0**-24  # the ulp of float32 values in [0.5, 1)


@numba.njit(error_model="numpy")
def _map(f, a, out):
    for i in range(a.shape[0]):
        out[i] = f(a[i])
    return out


@numba.njit(error_model="numpy", fastmath={"contract"})  # as the generated kernels
def _tanh_2d(a, out):
    """The kernel shape the fused tier generates."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = tanh_f32(a[i, j])


def _apply(f, x):
    return _map(f, x, np.empty_like(x))


def _float32_sample():
    """Every 1009th float32 of [0, 10] by bit pattern (about 1.1 million), and their negatives."""
    positive = np.arange(0, np.float32(10).view(np.int32) + 1, 1009, dtype=np.int32).view(np.float32)
    return np.concatenate([positive, -positive])


def _ulp_distance(a, b):
    """How many float32 values lie between ``a`` and ``b`` (by bit pattern, across zero)."""
    def ordinal(v):
        i = v.view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)
    return np.abs(ordinal(a) - ordinal(b))


def test_tanh_f32_is_within_a_few_ulp_of_the_rounded_tanh():
    x = _float32_sample()
    distance = _ulp_distance(_apply(tanh_f32, x), np.tanh(x.astype(np.float64)).astype(np.float32))
    # Over every float32 the largest distance is 5 ulp (FMA contraction, x86-64 AVX-512);
    # without FMA the unfused evaluation reaches 6 (a NumPy emulation on a fifth of them).
    # This sample meets 5. The approximation itself is 0.57 * 2**-24: the rest is the
    # rounding of the ~12 float32 operations, hence most results are within 1 ulp.
    assert distance.max() <= 6
    assert np.mean(distance <= 1) > 0.99


def test_tanh_f32_special_values():
    x = np.array([0.0, -0.0, 1e-30, -1e-45, 3e-8, 9.010914, 9.0109, 20.0, 3e38, np.inf, -np.inf, np.nan], np.float32)
    y = _apply(tanh_f32, x)
    np.testing.assert_array_equal(y[:4], x[:4])  # tanh(x) = x exactly for tiny x, subnormals included
    assert np.signbit(y[1]) and np.signbit(y[3])
    assert y[4] == np.float32(3e-8)
    np.testing.assert_array_equal(y[5:11], [1, 1, 1, 1, 1, -1])  # 9.0109 < c: the output clamp keeps 1 + 2**-23 at 1
    assert np.isnan(y[11])
    sample = _float32_sample()
    np.testing.assert_array_equal(_apply(tanh_f32, -sample), -_apply(tanh_f32, sample))  # exactly odd


def test_sigmoid_f32_is_within_a_few_ulp_of_1_in_absolute_terms():
    x = np.concatenate([_float32_sample() * np.float32(2), np.array([0, 40, -40, 1e30], np.float32)])
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    error = np.abs(_apply(sigmoid_f32, x) - exact)
    # 0.5 + 0.5 * tanh: half the tanh error (<= 3 * 2**-24 near 1) plus the rounding of the
    # sum (0.5 * 2**-24). Over every float32 the largest is 3.05 * 2**-24 (with FMA).
    assert error.max() <= 3.5 * ULP_1
    y = _apply(sigmoid_f32, np.array([0, np.inf, -np.inf, np.nan], np.float32))
    np.testing.assert_array_equal(y[:3], [0.5, 1, 0])
    assert np.isnan(y[3])


def test_the_float64_functions_agree_with_numpy_and_the_numpy_tier():
    x = np.concatenate([np.linspace(-40, 40, 20001), [-800, 1e-300, 0, 800]])
    # libm's tanh and NumPy's SIMD tanh differ by up to 2 ulp (4.2e-16 relative measured)
    np.testing.assert_allclose(_apply(tanh_f64, x), np.tanh(x), rtol=1e-15, atol=0)
    y = _apply(sigmoid_f64, x)
    # The same formula as the NumPy tier: the tanh's 2 ulp halved, plus the rounding of
    # the sum, is at most 2**-52 absolute; relative to the sigmoid only where it is not tiny.
    np.testing.assert_allclose(y, sigmoid.perform(x), rtol=0, atol=2.0**-52)
    exact = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    np.testing.assert_allclose(y, exact.astype(np.float64), rtol=0, atol=2.0**-52)
    # 2**-53 absolute is 1.7e-14 relative to sigmoid(-5) = 6.7e-3 (measured: 3.9e-15)
    np.testing.assert_allclose(y[x >= -5], exact[x >= -5].astype(np.float64), rtol=1e-14, atol=0)
    assert np.isnan(_apply(tanh_f64, np.array([np.nan]))).all()
    assert np.isnan(_apply(sigmoid_f64, np.array([np.nan]))).all()


def test_tanh_f32_is_inlined_and_vectorised_in_float32():
    a = np.linspace(-10, 10, 64 * 256, dtype=np.float32).reshape(64, 256)
    out = np.empty_like(a)
    _tanh_2d(a, out)
    # inlined into the kernel, LLVM may fuse multiply-adds differently: an ulp apart at most
    np.testing.assert_array_max_ulp(out, _apply(tanh_f32, a.ravel()).reshape(a.shape), maxulp=2)
    ir = _tanh_2d.inspect_llvm(_tanh_2d.signatures[0])
    assert re.search(r"fdiv [^\n]*<\d+ x float>", ir)  # the division on a vector of float32
    assert not re.search(r"double", re.search(r"fdiv [^\n]*", ir).group())
    assert not re.search(r"call [^\n]*(tanh_f32|@tanhf)", ir)  # inlined, and no libm
    assert tanh_f32.nopython_signatures[0].return_type == numba.float32
