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


def test_rounds_give_every_implementation_its_repeats(monkeypatch):
    from benchmarks import run
    monkeypatch.setattr(run, "PAUSE", 0.0)
    calls = {"fast": 0, "autograd": 0}

    def counting(name):
        def step(x, y):
            calls[name] += 1
        return {"status": "ok", "step": step, "build": 0.5, "first": 0.0, "error": 0.0, "times": []}

    rows = {name: counting(name) for name in calls} | {"broken": {"status": "DISAGREES"}}
    run.time_rounds(rows, None, None, repeats=7)
    assert calls == {"fast": 7, "autograd": run.SLOW["autograd"]}
    assert rows["fast"]["min"] <= rows["fast"]["median"] <= rows["fast"]["max"]
    assert rows["fast"]["compile"] >= 0.5 and "step" not in rows["fast"]


def test_each_brickwork_tier_is_built_and_always_run_under_its_own_fusion_setting(monkeypatch):
    """Two steps timed in turns: each call sets its own config.fusion, and restores the setting after."""
    from benchmarks import impl_brickwork
    from brickwork import config
    seen = []

    def compile_recording(w, params):
        seen.append(("build", config.fusion, config.floatX))
        return lambda x, y: seen.append(("call", config.fusion))

    monkeypatch.setattr(impl_brickwork, "_compile", compile_recording)
    before = config.fusion
    numpy_tier, _ = impl_brickwork.build(SMALL["lstm"], {}, fusion="off")
    fused_tier, _ = impl_brickwork.build(SMALL["lstm"], {}, dtype="float64", fusion="sync")
    for step in (numpy_tier, fused_tier, numpy_tier):
        step(None, None)
    assert seen == [("build", "off", "float32"), ("build", "sync", "float64"),
                    ("call", "off"), ("call", "sync"), ("call", "off")]
    assert config.fusion == before
