"""The hand-written NumPy BPTT of the benchmarks against finite differences and brickwork."""

import numpy as np
import pytest

from benchmarks.numpy_rnn import NumpyRNN
from benchmarks.workloads import Workload, data, parameters

SMALL = {cell: Workload(cell, cell, 3, 4, 5, 2, readout=(cell == "lstm")) for cell in ("lstm", "gru", "rnn")}


@pytest.mark.parametrize("cell", sorted(SMALL))
def test_manual_gradients_match_finite_differences(cell):
    # float64 with eps=1e-6: central differences are accurate to ~1e-9 here.
    w = SMALL[cell]
    params = parameters(w, dtype="float64")
    x, y = data(w, dtype="float64")
    model = NumpyRNN(w, params)
    _, grads = model.step(x, y)
    rng = np.random.default_rng(0)
    for name, value in params.items():
        direction = rng.standard_normal(value.shape)
        original = value.copy()
        value += 1e-6 * direction
        plus = model.step(x, y)[0]
        value[...] = original - 1e-6 * direction
        minus = model.step(x, y)[0]
        value[...] = original
        np.testing.assert_allclose(np.sum(grads[name] * direction), (plus - minus) / 2e-6, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("cell", sorted(SMALL))
def test_brickwork_model_agrees_with_the_manual_one(cell):
    from benchmarks.impl_brickwork import build
    w = SMALL[cell]
    params = parameters(w, dtype="float64")
    x, y = data(w, dtype="float64")
    loss, grads = NumpyRNN(w, params).step(x, y)
    step, _ = build(w, params, dtype="float64")
    b_loss, b_grads = step(x, y)
    np.testing.assert_allclose(b_loss, loss, rtol=1e-10)
    for name in grads:
        np.testing.assert_allclose(b_grads[name], grads[name], rtol=1e-8, atol=1e-12)
