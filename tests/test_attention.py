"""Content attention and AttentionRecurrent: against NumPy, masks, gradients, unrolled DAG.

Everything runs in float64 (fixture ``float64``): forward comparisons with
NumPy use rtol=1e-10 (same arithmetic up to summation order); gradient checks
use check_grads' defaults (central differences accurate to ~1e-9 here).
"""

import numpy as np
import pytest

from brickwork import function, grad, initialization, tensor
from brickwork.bricks import Tanh
from brickwork.bricks.attention import (
    AttentionRecurrent,
    SequenceContentAttention,
    ShallowEnergyComputer,
    masked_softmax,
)
from brickwork.bricks.recurrent import GatedRecurrent, SimpleRecurrent
from brickwork.errors import BrickError
from brickwork.graph import evaluate
from brickwork.graph.unroll import unroll
from brickwork.tensor.walk import clone_replace
from brickwork.testing import check_grads

pytestmark = pytest.mark.usefixtures("float64")
rng = np.random.default_rng(7)
MASK = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 0], [0, 0, 0]], dtype="float64")


def all_parameters(brick):
    found = list(brick.parameters)
    for child in brick.children:
        found.extend(all_parameters(child))
    return found


def with_parameters(brick, outputs_fn):
    """A function of (inputs..., parameters...) for check_grads, and the parameter values."""
    params = all_parameters(brick)

    def f(*args):
        n = len(args) - len(params)
        return clone_replace([outputs_fn(*args[:n])], dict(zip(params, args[n:])))[0]
    return f, [p.get_value() for p in params]


def attention(state_dim=3, attended_dim=4, match_dim=5):
    brick = SequenceContentAttention(state_names=["states"], attended_dim=attended_dim,
                                     match_dim=match_dim, state_dims=[state_dim],
                                     weights_init=initialization.IsotropicGaussian(0.5),
                                     biases_init=initialization.IsotropicGaussian(0.5))
    brick.initialize()
    return brick


def numpy_glimpses(brick, attended, states, mask):
    pre = attended @ brick.attended_transformer.W.get_value() + brick.attended_transformer.b.get_value()
    match = np.tanh(pre + states @ brick.state_transformers.children[0].W.get_value())
    energies = (match @ brick.energy_computer.children[1].W.get_value())[..., 0]
    weights = np.exp(energies - energies.max(0)) * mask
    total = weights.sum(0)
    weights = weights / np.where(total > 0, total, 1)
    return (weights[:, :, None] * attended).sum(0), weights.T


def test_take_glimpses_matches_numpy_and_masked_positions_get_exactly_zero():
    brick = attention()
    attended, states, mask = tensor.tensor3("a"), tensor.matrix("s"), tensor.matrix("m")
    averages, weights = brick.take_glimpses(attended, attended_mask=mask, states=states)
    a, s = rng.standard_normal((4, 3, 4)), rng.standard_normal((3, 3))
    got = function([attended, states, mask], [averages, weights])(a, s, MASK)
    expected = numpy_glimpses(brick, a, s, MASK)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
    assert (got[1][MASK.T == 0] == 0).all()
    np.testing.assert_allclose(got[1][:2].sum(1), 1, rtol=1e-12)
    assert (got[1][2] == 0).all() and (got[0][2] == 0).all() and np.isfinite(got[0]).all()


def test_preprocessed_attended_gives_the_same_glimpses():
    brick = attention()
    attended, states = tensor.tensor3("a"), tensor.matrix("s")
    direct = brick.take_glimpses(attended, states=states)
    given = brick.take_glimpses(attended, brick.preprocess(attended), states=states)
    a, s = rng.standard_normal((4, 3, 4)), rng.standard_normal((3, 3))
    first, second = function([attended, states], [direct[0], given[0]])(a, s)
    np.testing.assert_allclose(first, second, rtol=1e-12)


def test_glimpse_gradients_with_a_fully_masked_column():
    brick = attention()
    f, params = with_parameters(brick, lambda a, s: brick.take_glimpses(
        a, attended_mask=tensor.constant(MASK), states=s)[0])
    check_grads(f, [rng.standard_normal((4, 3, 4)), rng.standard_normal((3, 3))] + params)
    a, s, m = tensor.tensor3("a"), tensor.matrix("s"), tensor.matrix("m")
    g = grad(brick.take_glimpses(a, attended_mask=m, states=s)[0].sum(), [a, s])
    values = function([a, s, m], g)(rng.standard_normal((4, 3, 4)), rng.standard_normal((3, 3)), MASK)
    assert all(np.isfinite(v).all() for v in values)


def test_masked_softmax_gradient():
    check_grads(lambda e: masked_softmax(e, tensor.constant(MASK)) ** 2,
                [rng.standard_normal((4, 3))], order=2)


def test_shallow_energy_computer_and_initial_glimpses():
    energy = ShallowEnergyComputer(input_dim=3, output_dim=1,
                                   weights_init=initialization.IsotropicGaussian(1.0))
    energy.initialize()
    x = tensor.matrix("x")
    xv = rng.standard_normal((2, 3))
    np.testing.assert_allclose(function([x], energy.apply(x))(xv),
                               np.tanh(xv) @ energy.children[1].W.get_value(), rtol=1e-12)
    brick = attention()
    a = tensor.tensor3("a")
    averages, weights = function([a], brick.initial_glimpses(2, a))(np.ones((6, 2, 4)))
    assert averages.shape == (2, 4) and weights.shape == (2, 6) and not averages.any()


def test_missing_state_is_an_error_naming_the_brick():
    brick = attention()
    with pytest.raises(BrickError, match="sequencecontentattention.take_glimpses: states"):
        brick.take_glimpses(tensor.tensor3("a"))


def attention_recurrent(transition):
    att = SequenceContentAttention(state_names=transition.apply.states, attended_dim=4,
                                   match_dim=5, name="attention")
    brick = AttentionRecurrent(transition, att, name="att_trans",
                               weights_init=initialization.IsotropicGaussian(0.4),
                               biases_init=initialization.IsotropicGaussian(0.2))
    brick.initialize()
    return brick


def test_attention_recurrent_names_and_dims():
    brick = attention_recurrent(GatedRecurrent(dim=3, name="transition"))
    assert brick.apply.sequences == brick.transition.apply.sequences
    assert sorted(brick.apply.sequences) == ["gate_inputs", "inputs", "mask"]
    assert brick.apply.states == ["states", "weighted_averages", "weights"]
    assert brick.apply.contexts == ["attended", "attended_mask"]
    assert brick.get_dim("weighted_averages") == 4 and brick.get_dim("gate_inputs") == 6


def numpy_attention_recurrent(brick, x, a, mask):
    """The AttentionRecurrent of a SimpleRecurrent, step by step in NumPy."""
    att, trans = brick.attention, brick.transition
    fork = brick.distribute.children[0]
    h = np.tile(trans.parameter("initial_state").get_value(), (x.shape[1], 1))
    states, averages = [], []
    for t in range(x.shape[0]):
        avg, _ = numpy_glimpses(att, a, h, mask)
        h = np.tanh(x[t] + avg @ fork.W.get_value() + h @ trans.W.get_value())
        states.append(h)
        averages.append(avg)
    return np.stack(states), np.stack(averages)


def test_attention_recurrent_matches_numpy_and_the_unrolled_graph():
    brick = attention_recurrent(SimpleRecurrent(dim=3, activation=Tanh(), name="transition"))
    x, a, m = tensor.tensor3("x"), tensor.tensor3("a"), tensor.matrix("m")
    states, averages, weights = brick.apply(inputs=x, attended=a, attended_mask=m)
    xv, av = rng.standard_normal((5, 3, 3)), rng.standard_normal((4, 3, 4))
    got = function([x, a, m], [states, averages])(xv, av, MASK)
    for g, e in zip(got, numpy_attention_recurrent(brick, xv, av, MASK)):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
    cost = (states ** 2).sum() + (weights * averages.sum(-1, keepdims=True)).sum()
    outputs = [states] + grad(cost, [x, a] + all_parameters(brick))
    compiled = function([x, a, m], outputs)(xv, av, MASK)
    reference = evaluate(unroll(outputs, 5), {x: xv, a: av, m: MASK})
    for c, r in zip(compiled, reference):
        np.testing.assert_allclose(c, r, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda: SimpleRecurrent(dim=2, activation=Tanh(), name="transition"),
    lambda: GatedRecurrent(dim=2, name="transition"),
])
def test_attention_recurrent_gradients(make):
    brick = attention_recurrent(make())
    names = [n for n in brick.apply.sequences if n != "mask"]

    def outputs(a, *inputs):
        states = brick.apply(attended=a, attended_mask=tensor.constant(MASK),
                             **dict(zip(names, inputs)))
        return states[0] * states[1].sum(-1, keepdims=True)
    f, params = with_parameters(brick, outputs)
    inputs = [rng.standard_normal((3, 3, brick.get_dim(n))) for n in names]
    check_grads(f, [rng.standard_normal((4, 3, 4))] + inputs + params)
