"""The fused tier: a scan step's elementwise regions as numba kernels (brickwork.scan.fusion,
kernelgen, tiers), held to the NumPy tier and to the time-unrolled graph.

Tolerances: in float64 the kernels compute every element with the same operations as
NumPy (tanh and exp from the C library instead of NumPy's own), so results agree to a few
ulps per op; over a few dozen ops and steps 1e-12 (relative to the largest value) holds
with a wide margin (we measured about 1e-16).
"""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from brickwork import config, function, grad, tensor
from brickwork.bricks import Tanh
from brickwork.bricks.recurrent import LSTM, GatedRecurrent, SimpleRecurrent
from brickwork.errors import BrickworkError
from brickwork.graph import ComputationGraph, evaluate
from brickwork.scan import Scan, tiers
from brickwork.scan.fusion import FusedKernel
from brickwork.tensor import elemwise

pytest.importorskip("numba")
TOLERANCE = 1e-12
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fusion(monkeypatch, float64):
    """Set ``config.fusion`` for the test (float64 graphs)."""
    return lambda mode: monkeypatch.setattr(config, "fusion", mode)


def assert_close(got, want):
    for a, b in zip(got, want, strict=True):
        scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
        np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE * scale)


def training_function(cell):
    x = tensor.tensor3("x")
    cell.allocate()
    rng = np.random.default_rng(7)
    for parameter in cell.parameters:
        parameter.set_value(rng.normal(scale=0.4, size=parameter.get_value().shape))
    if isinstance(cell, GatedRecurrent):
        states = cell.apply(inputs=x[:, :, :6], gate_inputs=x[:, :, 6:])
    else:
        states = cell.apply(x)
    h = states[0] if isinstance(states, list) else states
    cost = (h ** 2).sum() + tensor.tanh(h).mean()
    return function([x], [cost, h] + grad(cost, cell.parameters))


CELLS = {"lstm": lambda: LSTM(6), "gru": lambda: GatedRecurrent(6), "gru_reset_after":
         lambda: GatedRecurrent(6, reset_after=True), "rnn": lambda: SimpleRecurrent(6, Tanh())}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_recurrent_bricks_give_the_numpy_tiers_values_and_gradients(fusion, name):
    widths = {"lstm": 24, "gru": 18, "gru_reset_after": 18, "rnn": 6}
    x = np.random.default_rng(0).normal(size=(7, 3, widths[name]))
    results = {}
    for mode in ("off", "sync"):
        fusion(mode)
        train = training_function(CELLS[name]())
        results[mode] = train(x)
        assert tiers.settle(train) == (["numpy"] * 2 if mode == "off" else ["fused"] * 2)
    assert_close(results["sync"], results["off"])


def odd_step(x_t, h, c, bias, scale, row):
    """A step with slices, joins, broadcasts (rows, columns, scalars), a mask and casts."""
    left, right = h[:, :3], h[:, 3:]
    joined = tensor.concatenate([tensor.sigmoid(right), tensor.exp(-abs(left))], axis=1)
    gate = tensor.where(x_t > 0.2, joined, tensor.maximum(joined * 0.5, tensor.minimum(h, 0.1)))
    counted = tensor.cast(x_t > 0, "float64").sum(axis=1, keepdims=True)  # a reduction cuts the region
    new_h = tensor.tanh(gate * bias + counted * c * scale) + tensor.sqrt(tensor.square(h) + row) * 0.1
    new_c = elemwise.relu(new_h - c) ** 2 + tensor.log1p(abs(c))
    return new_h, new_c, new_h[:, 1:4] + 1.0


def test_slices_joins_broadcasts_and_masks_agree_with_the_unrolled_graph(fusion):
    fusion("sync")
    x, h0, c0 = tensor.tensor3("x"), tensor.matrix("h0"), tensor.matrix("c0")
    bias, scale, row = tensor.vector("bias"), tensor.scalar("scale"), tensor.matrix("row")
    outputs = tensor.scan(odd_step, sequences=[x], states=[h0, c0], contexts=[bias, scale, row])
    cost = sum(o.sum() for o in outputs)
    targets = outputs + grad(cost, [h0, c0, bias, row])
    inputs = [x, h0, c0, bias, scale, row]
    compiled = function(inputs, targets)
    rng = np.random.default_rng(1)
    values = [rng.normal(size=(5, 4, 6)), rng.normal(size=(4, 6)), rng.normal(size=(4, 6)),
              rng.normal(size=6), np.array(0.7), rng.uniform(1, 2, size=(1, 6))]
    got = compiled(*values)
    assert tiers.settle(compiled) == ["fused", "fused"]
    reference = ComputationGraph(targets).unroll(5).outputs
    assert_close(got, evaluate(reference, dict(zip(inputs, values))))


def test_auto_mode_answers_at_once_and_switches_when_the_kernels_are_ready(fusion):
    fusion("auto")
    train = training_function(LSTM(5))
    x = np.random.default_rng(2).normal(size=(6, 2, 20))
    before = train(x)  # the NumPy tier: the kernels compile in the background
    assert tiers.settle(train) == ["fused", "fused"]
    assert_close(train(x), before)


def test_a_small_step_runs_its_whole_loop_compiled_and_a_large_one_in_python(fusion):
    fusion("sync")
    loops = {}
    for hidden in (6, 512):
        train = training_function(SimpleRecurrent(hidden, Tanh()))
        x = np.random.default_rng(4).normal(size=(3, 2, hidden))
        train(x)
        loops[hidden] = [p.current.loop.whole for k, *_ in train.lowering.schedule if isinstance(k.op, Scan)
                         for p in k.op.runner.programs()]
    assert loops == {6: [True, True], 512: [False, False]}


def test_a_kernel_that_disagrees_with_numpy_is_not_used(fusion, monkeypatch):
    fusion("auto")
    monkeypatch.setattr(elemwise.Tanh, "scalar", "(tanh_{f}({0}) * {t}(1.5))")  # a wrong kernel
    train = training_function(SimpleRecurrent(4, Tanh()))
    x = np.random.default_rng(3).normal(size=(4, 2, 4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = train(x)
        # the backward step has no tanh (its derivative is computed before the loop)
        assert tiers.settle(train) == ["numpy", "fused"]
    assert any("the fused tier is not used" in str(w.message) for w in caught)
    assert_close(train(x), first)


def test_one_cheap_op_is_left_to_numpy_and_one_tanh_is_fused(fusion):
    fusion("sync")
    x, h0 = tensor.matrix("x"), tensor.vector("h0")
    cheap = function([x, h0], tensor.scan(lambda x_t, h: x_t + h, sequences=[x], states=[h0]))
    costly = function([x, h0], tensor.scan(lambda x_t, h: tensor.tanh(x_t @ tensor.outer(h, h)),
                                           sequences=[x], states=[h0]))
    values = np.ones((3, 4)), np.zeros(4)
    cheap(*values), costly(*values)
    assert tiers.settle(cheap) == ["numpy"]
    assert tiers.settle(costly) == ["fused"]


def test_a_kernel_refuses_arrays_of_other_shapes(fusion):
    fusion("sync")
    x, h0 = tensor.matrix("x"), tensor.vector("h0")
    compiled = function([x, h0], tensor.scan(lambda x_t, h: tensor.tanh(x_t * h + 1), sequences=[x], states=[h0]))
    compiled(np.ones((3, 4)), np.zeros(4))
    program = next(k.op.runner for k, *_ in compiled.lowering.schedule if k.op.runner).programs()[0]
    kernel = next(k.op for k, *_ in program.current.body.lowering.schedule if isinstance(k.op, FusedKernel))
    with pytest.raises(ValueError, match="other shapes"):
        kernel.perform_outputs(np.ones(5), np.ones(5), np.empty(5))


def test_the_setting_is_checked():
    old, config.fusion = config.fusion, "fast"
    try:
        with pytest.raises(BrickworkError, match="'auto', 'sync', 'off'"):
            tiers.mode()
    finally:
        config.fusion = old


SCRIPT = """
import sys, numpy as np
from brickwork import config, function, tensor
config.fusion = "sync"
x, h0 = tensor.matrix("x", dtype="float64"), tensor.vector("h0", dtype="float64")
f = function([x, h0], tensor.scan(lambda x_t, h: tensor.tanh(x_t * h + 1) * 2, sequences=[x], states=[h0]))
f(np.ones((3, 4)), np.zeros(4))
kernels = [m.kernel for name, m in sys.modules.items() if name.startswith("brickwork_kernel_")]
print(len(kernels), sum(k.stats.cache_hits.total() for k in kernels),
      sum(k.stats.cache_misses.total() for k in kernels))
"""


def test_a_second_process_loads_the_kernels_compiled_from_disk(tmp_path):
    environment = dict(os.environ, BRICKWORK_KERNEL_CACHE=str(tmp_path), PYTHONPATH=str(ROOT))
    runs = [subprocess.run([sys.executable, "-c", SCRIPT], env=environment, capture_output=True, text=True,
                           check=True, timeout=300).stdout.split() for _ in range(2)]
    (kernels, hits, misses), (kernels_again, hits_again, misses_again) = runs
    assert kernels == kernels_again and int(kernels) >= 1  # the step's kernel (and its loop)
    assert hits == "0" and int(misses) >= 1
    # nothing compiled again (a kernel the loop calls comes with the loop's cached code)
    assert int(hits_again) >= 1 and misses_again == "0"
