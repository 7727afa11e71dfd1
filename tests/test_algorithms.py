"""Step rules against hand-written NumPy updates, over several steps."""

import numpy as np
import pytest

from brickwork import shared, tensor
from brickwork.algorithms import (
    AdaDelta,
    AdaGrad,
    Adam,
    BasicMomentum,
    CompositeRule,
    GradientDescent,
    Momentum,
    RemoveNotFinite,
    Restrict,
    RMSProp,
    Scale,
    StepClipping,
    VariableClipping,
)
from brickwork.errors import TrainingError
from brickwork.roles import PARAMETER, add_role

# float64: the brickwork and NumPy updates are the same arithmetic, so they
# agree to ~1e-12 relative after a few steps; rtol=1e-9 leaves room for
# summation order only.
RTOL = 1e-9


pytestmark = pytest.mark.usefixtures("float64")


def problem(seed=0):
    rng = np.random.default_rng(seed)
    w = shared(rng.standard_normal((3, 2)), name="W")
    add_role(w, PARAMETER)
    x, y = tensor.matrix("x"), tensor.matrix("y")
    cost = ((x @ w - y) ** 2).mean()
    xv, yv = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))

    def gradient(wv):
        return 2 * xv.T @ (xv @ wv - yv) / yv.size
    return w, cost, {"x": xv, "y": yv}, gradient


def run(rule, steps=4):
    w, cost, batch, gradient = problem()
    start = w.get_value()
    algorithm = GradientDescent(cost=cost, step_rule=rule)
    for _ in range(steps):
        algorithm.process_batch(batch)
    return start, w.get_value(), gradient, algorithm


def numpy_run(start, gradient, update, steps=4):
    w, state = start.copy(), {}
    for t in range(1, steps + 1):
        w = w - update(gradient(w), state, t, w)
    return w


@pytest.mark.parametrize("rule, update", [
    (lambda: Scale(0.1), lambda g, s, t, w: 0.1 * g),
    (lambda: Momentum(0.1, 0.9), lambda g, s, t, w: s.__setitem__("v", 0.9 * s.get("v", 0) + 0.1 * g) or s["v"]),
    (lambda: BasicMomentum(0.5), lambda g, s, t, w: s.__setitem__("v", 0.5 * s.get("v", 0) + g) or s["v"]),
    (lambda: AdaGrad(0.1), lambda g, s, t, w: s.__setitem__("s", s.get("s", 0) + g ** 2)
     or 0.1 * g / (np.sqrt(s["s"]) + 1e-6)),
    (lambda: RMSProp(0.01, 0.9), lambda g, s, t, w: s.__setitem__("m", 0.9 * s.get("m", 0) + 0.1 * g ** 2)
     or 0.01 * g / np.maximum(np.sqrt(s["m"]), 1e-5)),
])
def test_simple_rules_match_numpy(rule, update):
    start, final, gradient, _ = run(rule())
    np.testing.assert_allclose(final, numpy_run(start, gradient, update), rtol=RTOL)


def test_adam_matches_numpy_with_bias_correction():
    start, final, gradient, _ = run(Adam(0.01))

    def update(g, s, t, w):
        s["m"] = 0.9 * s.get("m", 0) + 0.1 * g
        s["v"] = 0.999 * s.get("v", 0) + 0.001 * g ** 2
        return 0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * s["m"] / (np.sqrt(s["v"]) + 1e-8)
    np.testing.assert_allclose(final, numpy_run(start, gradient, update), rtol=RTOL)


def test_adadelta_matches_numpy():
    start, final, gradient, _ = run(AdaDelta(0.95, 1e-6))

    def update(g, s, t, w):
        s["g"] = 0.95 * s.get("g", 0) + 0.05 * g ** 2
        step = np.sqrt(s.get("d", 0) + 1e-6) / np.sqrt(s["g"] + 1e-6) * g
        s["d"] = 0.95 * s.get("d", 0) + 0.05 * step ** 2
        return step
    np.testing.assert_allclose(final, numpy_run(start, gradient, update), rtol=RTOL)


def test_step_clipping_uses_the_global_norm():
    start, final, gradient, algorithm = run(CompositeRule([StepClipping(0.01), Scale(1.0)]), steps=1)
    g = gradient(start)
    assert np.linalg.norm(g) > 0.01
    np.testing.assert_allclose(final, start - g * 0.01 / np.linalg.norm(g), rtol=RTOL)
    np.testing.assert_allclose(algorithm.last_values["total_gradient_norm"], np.linalg.norm(g), rtol=RTOL)


def test_variable_clipping_bounds_the_parameter_norm():
    _, final, _, _ = run(CompositeRule([Scale(10.0), VariableClipping(0.5)]), steps=3)
    assert np.linalg.norm(final) <= 0.5 + 1e-9


def test_remove_not_finite_keeps_parameters_and_state():
    w, cost, batch, _ = problem()
    rule = CompositeRule([Momentum(0.1, 0.9), RemoveNotFinite()])
    algorithm = GradientDescent(cost=cost, step_rule=rule)
    algorithm.process_batch(batch)
    before = [w.get_value()] + [v.get_value() for v in algorithm.state_variables()]
    algorithm.process_batch({"x": batch["x"], "y": np.full_like(batch["y"], np.nan)})
    after = [w.get_value()] + [v.get_value() for v in algorithm.state_variables()]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


def test_restrict_applies_the_rule_to_some_parameters_only():
    rng = np.random.default_rng(1)
    a, b = shared(rng.standard_normal(2), name="a"), shared(rng.standard_normal(2), name="b")
    for p in (a, b):
        add_role(p, PARAMETER)
    cost = (a ** 2).sum() + (b ** 2).sum()
    a0, b0 = a.get_value(), b.get_value()
    GradientDescent(cost=cost, step_rule=Restrict(Scale(0.25), [a])).process_batch({})
    np.testing.assert_allclose(a.get_value(), a0 - 0.25 * 2 * a0, rtol=RTOL)
    np.testing.assert_allclose(b.get_value(), b0 - 2 * b0, rtol=RTOL)


def test_batch_errors_name_the_inputs():
    _, cost, batch, _ = problem()
    algorithm = GradientDescent(cost=cost)
    with pytest.raises(TrainingError, match=r"no data for inputs \['y'\]"):
        algorithm.process_batch({"x": batch["x"]})
    with pytest.raises(TrainingError, match="'z'"):
        algorithm.process_batch({**batch, "z": 1})
