"""Blocks parity of the training algorithms: the cases of Blocks' tests/algorithms."""

from collections import OrderedDict

import numpy as np
import pytest

from brickwork import function, grad, shared, tensor
from brickwork.algorithms import (
    AdaDelta,
    BasicRMSProp,
    CompositeRule,
    GradientDescent,
    Momentum,
    RemoveNotFinite,
    Restrict,
    RMSProp,
    Scale,
    StepClipping,
    UpdatesAlgorithm,
    VariableClipping,
)
from brickwork.errors import TrainingError

RTOL = 1e-6  # float32 arithmetic on small integers


def floats(value):
    return shared(np.asarray(value, dtype="float32"))


def test_updates_algorithm_runs_its_updates_with_data_and_added_updates():
    n = floats(1)
    algorithm = UpdatesAlgorithm(updates=[(n, n + 1)])
    algorithm.initialize()
    algorithm.process_batch({})
    algorithm.process_batch({})
    assert n.get_value() == 3
    m = tensor.scalar("m")
    k = floats(1)
    with_data = UpdatesAlgorithm(updates=[(k, m + 1)])
    with_data.initialize()
    with_data.process_batch({"m": 5})
    assert k.get_value() == 6
    counter, parity = floats(1), floats(0)
    both = UpdatesAlgorithm(updates=[(counter, counter + 1)])
    both.add_updates([(parity, counter * 10)])
    assert len(both.updates) == 2
    both.initialize()
    both.process_batch({})
    assert counter.get_value() == 2 and parity.get_value() == 10  # computed from the old value
    with pytest.raises(TrainingError):
        both.add_updates((parity, counter))


def test_gradient_descent_default_scale_and_given_gradients():
    for make in (lambda W, g: {"cost": (W ** 2).sum(), "parameters": [W]},
                 lambda W, g: {"gradients": OrderedDict([(W, g)])},
                 lambda W, g: {"gradients": [(W, g)]}):
        W = floats([[1, 2], [3, 4]])
        start = W.get_value()
        algorithm = GradientDescent(**make(W, grad((W ** 2).sum(), W)))
        algorithm.step_rule.learning_rate.set_value(np.float32(0.75))
        algorithm.initialize()
        algorithm.initialize()
        assert len(algorithm.updates) == 1 and algorithm.parameters == [W]
        algorithm.process_batch({})
        np.testing.assert_allclose(W.get_value(), -0.5 * start, rtol=RTOL)


def test_gradient_descent_without_cost_or_gradients_is_an_error():
    W = floats([[1, 2], [3, 4]])
    with pytest.raises(TrainingError, match="no cost|cost=.*gradients="):
        GradientDescent(parameters=[W])
    with pytest.raises(TrainingError, match="cost=.*gradients="):
        GradientDescent()
    with pytest.raises(TrainingError, match="no parameters"):
        GradientDescent(cost=W.sum(), parameters=[])
    with pytest.raises(TrainingError, match="known_grads"):
        GradientDescent(gradients=OrderedDict([(W, W)]), consider_constant=[W])


def test_gradient_descent_inputs_updates_keyword_and_parameter_order():
    W, n = floats([[1, 2], [3, 4]]), floats(1)
    m = tensor.scalar("m")
    algorithm = GradientDescent(gradients=OrderedDict([(W, W + 1)]))
    algorithm.add_updates([(n, n + m)])
    algorithm.initialize()
    assert any(v is m for v in algorithm.inputs)
    z = floats(5)
    keyword = GradientDescent(gradients=OrderedDict([(W, W / 2)]), updates=[(z, z + 1)])
    assert len(keyword.updates) == 2 and keyword.updates[0][0] is z
    with pytest.warns(UserWarning, match="do not match"):
        mismatched = GradientDescent(parameters=[z], gradients=OrderedDict([(W, W / 2)]))
    assert mismatched.parameters == [W]
    a, b = floats([1.0]), floats([2.0])
    ordered = GradientDescent(parameters=[b, a], gradients={a: a, b: b})
    assert ordered.parameters == [b, a] and [u[0] for u in ordered.updates] == [b, a]


def test_gradient_descent_spurious_sources():
    W = floats([[1, 2], [3, 4]])
    start = W.get_value()
    algorithm = GradientDescent(cost=(W ** 2).sum(), parameters=[W])
    with pytest.raises(ValueError):
        algorithm.process_batch({"example_id": "test"})
    ignoring = GradientDescent(cost=(W ** 2).sum(), parameters=[W], on_unused_sources="ignore",
                               step_rule=Scale(0.75))
    ignoring.process_batch({"example_id": "test"})
    np.testing.assert_allclose(W.get_value(), -0.5 * start, rtol=RTOL)


def test_basic_rmsprop_and_rmsprop_match_numpy():
    a = floats([3.0, 4.0])
    steps, updates = BasicRMSProp(decay_rate=0.5, max_scaling=1e5).compute_steps(OrderedDict([(a, a)]))
    f = function([], [steps[a]], updates=updates)
    ms = 0.5 * np.array([9.0, 16.0])
    np.testing.assert_allclose(f()[0], np.array([3.0, 4.0]) / np.sqrt(ms), rtol=RTOL)
    ms = 0.5 * ms + 0.5 * np.array([9.0, 16.0])
    np.testing.assert_allclose(f()[0], np.array([3.0, 4.0]) / np.sqrt(ms), rtol=RTOL)
    limited = BasicRMSProp(decay_rate=0.5, max_scaling=5)
    small = floats([1e-6, 1e-6])
    s, _ = limited.compute_steps(OrderedDict([(small, small)]))
    np.testing.assert_allclose(function([], s[small])(), [5e-6, 5e-6], rtol=1e-5)
    rms = RMSProp(learning_rate=0.1, decay_rate=0.5)
    s, _ = rms.compute_steps(OrderedDict([(a, a)]))
    np.testing.assert_allclose(function([], s[a])(), 0.1 * np.array([3.0, 4.0]) / np.sqrt(0.5 * np.array([9.0, 16.0])),
                               rtol=RTOL)


@pytest.mark.parametrize("make", [lambda: AdaDelta(decay_rate=-1.0), lambda: AdaDelta(decay_rate=2.0),
                                  lambda: BasicRMSProp(decay_rate=2.0), lambda: BasicRMSProp(max_scaling=0),
                                  lambda: VariableClipping(1.0, axis=(0, 0))])
def test_argument_checks_as_blocks(make):
    with pytest.raises(ValueError):
        make()


def test_step_clipping_without_threshold_passes_steps():
    rule = StepClipping()
    assert rule.threshold is None
    steps = OrderedDict([(floats(3.0), floats(3.0)), (floats(4.0), floats(4.0))])
    clipped, updates = rule.compute_steps(steps)
    assert updates == [] and list(clipped.items()) == list(steps.items())


def test_remove_not_finite_scales_the_parameter_per_step():
    params = [floats(1.0), floats(2.0), floats(3.0)]
    steps = OrderedDict(zip(params, [floats(np.nan), floats(np.inf), floats(0.123)]))
    scaled, _ = RemoveNotFinite(0.1).compute_steps(steps)
    np.testing.assert_allclose(function([], list(scaled.values()))(), [0.9, 1.8, 0.123], rtol=RTOL)
    kept, _ = RemoveNotFinite().compute_steps(steps)
    np.testing.assert_allclose(function([], list(kept.values()))()[:2], [0.0, 0.0])


def test_remove_not_finite_composes_inside_restrict():
    a, b = floats([1.0, 1.0]), floats([1.0, 1.0])
    x = tensor.vector("x")
    cost = (a * x).sum() + (b * x).sum()
    rule = CompositeRule([Scale(1.0), Restrict(RemoveNotFinite(), [a])])
    algorithm = GradientDescent(cost=cost, parameters=[a, b], step_rule=rule)
    algorithm.process_batch({"x": np.array([np.nan, 1.0], dtype="float32")})
    np.testing.assert_array_equal(a.get_value(), [1.0, 1.0])  # protected: its step was not finite
    assert np.isnan(b.get_value()[0])  # not restricted: the NaN went through, as Blocks does


def test_remove_not_finite_keeps_momentum_state_in_a_composite_rule():
    w = floats([1.0, 2.0])
    x = tensor.vector("x")
    rule = CompositeRule([Momentum(0.1, 0.9), RemoveNotFinite()])
    algorithm = GradientDescent(cost=(w * x).sum(), parameters=[w], step_rule=rule)
    algorithm.process_batch({"x": np.ones(2, dtype="float32")})
    before = [w.get_value()] + [v.get_value() for v in algorithm.state_variables()]
    algorithm.process_batch({"x": np.full(2, np.inf, dtype="float32")})
    after = [w.get_value()] + [v.get_value() for v in algorithm.state_variables()]
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)
