"""Recurrent bricks against hand-written NumPy loops, forward and backward."""

import numpy as np
import pytest

from brickwork import function, grad, initialization, tensor
from brickwork.bricks import Identity, Tanh
from brickwork.bricks.recurrent import (
    LSTM,
    BaseRecurrent,
    Bidirectional,
    GatedRecurrent,
    IndRNN,
    RecurrentCell,
    RecurrentStack,
    SimpleRecurrent,
    recurrent,
)
from brickwork.errors import BrickError
from brickwork.graph import evaluate
from brickwork.graph.unroll import unroll
from brickwork.roles import INITIAL_STATE, WEIGHT, has_roles
from brickwork.serialization import brick_parameters
from brickwork.tensor.walk import clone_replace
from brickwork.testing import check_grads

# Gradient checks run in float64, where central differences (eps=1e-6) are
# accurate to ~1e-9 for these smooth functions: far inside check_grads'
# rtol=1e-5/atol=1e-6. Forward comparisons with NumPy use rtol=1e-10 for the
# same reason (identical float64 arithmetic up to summation order).
RTOL = 1e-10


pytestmark = pytest.mark.usefixtures("float64")


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def masked(new, old, m):
    return np.where(m[:, None] > 0, new, old)


def numpy_lstm(x, mask, W, peep, h, c):
    d = h.shape[1]
    hs, cs = [], []
    for t in range(len(x)):
        pre = x[t] + h @ W
        i = sigmoid(pre[:, :d] + c * peep[0])
        f = sigmoid(pre[:, d:2 * d] + c * peep[1])
        c_new = f * c + i * np.tanh(pre[:, 2 * d:3 * d])
        o = sigmoid(pre[:, 3 * d:] + c_new * peep[2])
        h_new = o * np.tanh(c_new)
        h, c = masked(h_new, h, mask[t]), masked(c_new, c, mask[t])
        hs.append(h)
        cs.append(c)
    return np.array(hs), np.array(cs)


def numpy_gru(x, gx, mask, U, Ug, h, reset_after):
    d = h.shape[1]
    out = []
    for t in range(len(x)):
        gates = sigmoid(gx[t] + h @ Ug)
        z, r = gates[:, :d], gates[:, d:]
        cand = np.tanh(r * (h @ U) + x[t]) if reset_after else np.tanh((r * h) @ U + x[t])
        h = masked(z * cand + (1 - z) * h, h, mask[t])
        out.append(h)
    return np.array(out)


def initialized(brick):
    brick.weights_init = initialization.IsotropicGaussian(0.5)
    brick.initialize()
    return brick


rng = np.random.default_rng(3)
MASK = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 0, 0]], dtype="float64")


def test_simple_recurrent_matches_numpy_with_mask():
    rnn = initialized(SimpleRecurrent(dim=3, activation=Tanh()))
    x, m = tensor.tensor3("x"), tensor.matrix("m")
    xv = rng.standard_normal((4, 3, 3))
    out = function([x, m], rnn.apply(x, mask=m))(xv, MASK)
    h, expected, W = np.zeros((3, 3)), [], rnn.W.get_value()
    for t in range(4):
        h = masked(np.tanh(xv[t] + h @ W), h, MASK[t])
        expected.append(h)
    np.testing.assert_allclose(out, expected, rtol=RTOL)


@pytest.mark.parametrize("peepholes", [True, False])
def test_lstm_matches_numpy_with_mask(peepholes):
    lstm = initialized(LSTM(dim=2, peepholes=peepholes))
    x, m = tensor.tensor3("x"), tensor.matrix("m")
    xv = rng.standard_normal((4, 3, 8))
    states, cells = function([x, m], lstm.apply(x, mask=m))(xv, MASK)
    peep = [lstm.parameter(n).get_value() for n in ("W_cell_to_in", "W_cell_to_forget",
                                                   "W_cell_to_out")] if peepholes else [0, 0, 0]
    hs, cs = numpy_lstm(xv, MASK, lstm.W_state.get_value(), peep, np.zeros((3, 2)), np.zeros((3, 2)))
    np.testing.assert_allclose(states, hs, rtol=RTOL)
    np.testing.assert_allclose(cells, cs, rtol=RTOL)


@pytest.mark.parametrize("reset_after", [False, True])
def test_gru_matches_numpy_with_mask(reset_after):
    gru = initialized(GatedRecurrent(dim=2, reset_after=reset_after))
    x, gx, m = tensor.tensor3("x"), tensor.tensor3("gx"), tensor.matrix("m")
    xv, gv = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 4))
    out = function([x, gx, m], gru.apply(inputs=x, gate_inputs=gx, mask=m))(xv, gv, MASK)
    expected = numpy_gru(xv, gv, MASK, gru.state_to_state.get_value(),
                         gru.state_to_gates.get_value(), np.zeros((3, 2)), reset_after)
    np.testing.assert_allclose(out, expected, rtol=RTOL)


def _with_params(brick, outputs_fn):
    """A function of (inputs..., parameters...) for check_grads."""
    params = [p for p in brick_parameters(brick)]

    def f(*args):
        n = len(args) - len(params)
        out = outputs_fn(*args[:n])
        return clone_replace([out], dict(zip(params, args[n:])))[0]
    return f, [p.get_value() for p in params]


@pytest.mark.parametrize("make", [
    lambda: SimpleRecurrent(dim=2, activation=Tanh()),
    lambda: LSTM(dim=2),
    lambda: LSTM(dim=2, peepholes=False),
    lambda: GatedRecurrent(dim=2),
    lambda: GatedRecurrent(dim=2, reset_after=True),
    lambda: IndRNN(dim=2, activation=Tanh()),
])
def test_gradients_through_three_steps(make):
    brick = initialized(make())
    mask = tensor.constant(MASK[:3, :2])
    if isinstance(brick, GatedRecurrent):
        f, params = _with_params(brick, lambda x, g: brick.apply(inputs=x, gate_inputs=g, mask=mask))
        inputs = [rng.standard_normal((3, 2, 2)), rng.standard_normal((3, 2, 4))]
    else:
        width = brick.get_dim("inputs")
        f, params = _with_params(brick, lambda x: _first(brick.apply(x, mask=mask)))
        inputs = [rng.standard_normal((3, 2, width))]
    check_grads(f, inputs + params)


def test_indrnn_matches_numpy_with_mask():
    rnn = initialized(IndRNN(dim=3))
    x, m = tensor.tensor3("x"), tensor.matrix("m")
    xv = rng.standard_normal((4, 3, 3))
    out = function([x, m], rnn.apply(x, mask=m))(xv, MASK)
    u = rnn.parameter("recurrent_weights").get_value()
    h, expected = np.zeros((3, 3)), []
    for t in range(4):
        h = masked(np.maximum(xv[t] + u * h, 0), h, MASK[t])
        expected.append(h)
    np.testing.assert_allclose(out, expected, rtol=RTOL)
    assert [p.name for p in rnn.parameters] == ["recurrent_weights", "initial_state"]
    assert has_roles(rnn.parameters[0], [WEIGHT])


class MinGRU(RecurrentCell):
    """A whole recurrent brick: its sequences, its step (no weights of its own)."""

    sequence_dims = {"inputs": 1, "gate_inputs": 1}

    def step(self, inputs, gate_inputs, states):
        update = tensor.sigmoid(gate_inputs)
        return states + update * (inputs - states)


def test_a_recurrent_cell_is_its_step_and_parameters():
    cell = MinGRU(dim=2, name="mingru")
    assert cell.apply.sequences == ["inputs", "gate_inputs", "mask"]
    assert cell.apply.states == cell.apply.outputs == ["states"]
    assert cell.get_dims(["inputs", "gate_inputs", "states", "mask"]) == [2, 2, 2, 0]
    x, g, m = tensor.tensor3("x"), tensor.tensor3("g"), tensor.matrix("m")
    xv, gv = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    out = function([x, g, m], cell.apply(x, g, mask=m))(xv, gv, MASK)
    h, expected = np.zeros((3, 2)), []
    for t in range(4):
        h = masked(h + sigmoid(gv[t]) * (xv[t] - h), h, MASK[t])
        expected.append(h)
    np.testing.assert_allclose(out, expected, rtol=RTOL)
    f, params = _with_params(cell, lambda x, g: cell.apply(inputs=x, gate_inputs=g))
    check_grads(f, [xv[:3, :2], gv[:3, :2]] + params)
    with pytest.raises(BrickError, match=r"/mingru.apply: input 'gate_inputs' has 5 features, but dim is 2"):
        cell.apply(x, tensor.tensor3("g", shape=(None, None, 5)))


def _first(value):
    return value[0] if isinstance(value, list) else value


class FeedbackRNN(BaseRecurrent):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.first = SimpleRecurrent(dim=dim, activation=Tanh(), name="first",
                                     weights_init=initialization.IsotropicGaussian(0.5))
        self.second = SimpleRecurrent(dim=dim, activation=Tanh(), name="second",
                                      weights_init=initialization.IsotropicGaussian(0.5))
        self.children = [self.first, self.second]

    @recurrent(sequences=["inputs"], states=["first_states", "second_states"],
               outputs=["first_states", "second_states"])
    def apply(self, inputs, first_states=None, second_states=None):
        first = self.first.apply(inputs=inputs, states=first_states + second_states, iterate=False)
        second = self.second.apply(inputs=first, states=second_states, iterate=False)
        return first, second

    def get_dim(self, name):
        return self.dim if name in ("inputs", "first_states", "second_states") else super().get_dim(name)


def test_feedback_rnn_gradients():
    feedback = FeedbackRNN(dim=2)
    feedback.initialize()
    f, params = _with_params(feedback, lambda x: feedback.apply(inputs=x)[1])
    check_grads(f, [rng.standard_normal((3, 2, 2))] + params, order=2)


def test_scan_gradients_equal_unrolled_dag_gradients():
    lstm = initialized(LSTM(dim=2))
    x = tensor.tensor3("x")
    states, cells = lstm.apply(x)
    cost = (states ** 2).sum() + cells.mean()
    outputs = [states] + grad(cost, [x] + brick_parameters(lstm))
    xv = rng.standard_normal((5, 3, 8))
    compiled = function([x], outputs)(xv)
    reference = evaluate(unroll(outputs, 5), {x: xv})
    for a, b in zip(compiled, reference):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_initial_states_are_learnable_zero_vectors():
    lstm = initialized(LSTM(dim=3))
    initial = [p for p in lstm.parameters if has_roles(p, [INITIAL_STATE])]
    assert sorted(p.name for p in initial) == ["initial_cells", "initial_state"]
    assert all(np.all(p.get_value() == 0) for p in initial)
    x = tensor.tensor3("x")
    cost = lstm.apply(x)[0].sum()
    g = function([x], grad(cost, lstm.parameter("initial_state")))(rng.standard_normal((2, 4, 12)))
    assert g.shape == (3,) and np.any(g != 0)


def test_iterate_false_fills_missing_states_and_runs_one_step():
    rnn = SimpleRecurrent(dim=3, activation=Identity(), weights_init=initialization.Identity())
    rnn.initialize()
    x = tensor.matrix("x")
    f = function([x], rnn.apply(x, iterate=False))
    np.testing.assert_array_equal(f(np.ones((2, 3))), np.ones((2, 3)))


def test_reverse_and_return_initial_states():
    rnn = SimpleRecurrent(dim=1, activation=Identity(), weights_init=initialization.Identity())
    rnn.initialize()
    x, h0 = tensor.tensor3("x"), tensor.matrix("h0")
    steps = np.arange(1.0, 4.0).reshape(3, 1, 1)
    backwards = function([x], rnn.apply(x, reverse=True))(steps)
    np.testing.assert_array_equal(backwards[:, 0, 0], [6, 5, 3])
    with_initial = function([x, h0], rnn.apply(x, states=h0, return_initial_states=True))
    np.testing.assert_array_equal(with_initial(steps, np.full((1, 1), 10.0))[:, 0, 0], [10, 11, 13, 16])


def test_all_zero_mask_column_freezes_without_nan():
    lstm = initialized(LSTM(dim=2))
    x, m = tensor.tensor3("x"), tensor.matrix("m")
    states, _ = lstm.apply(x, mask=m)
    cost = states.sum()
    f = function([x, m], [states, grad(cost, x)])
    mask = np.ones((3, 2))
    mask[:, 1] = 0
    xv = rng.standard_normal((3, 2, 8))
    xv[:, 1] = 1e30  # garbage in the padded sequence must not leak
    out, gx = f(xv, mask)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(gx))
    np.testing.assert_array_equal(out[:, 1], 0)
    np.testing.assert_array_equal(gx[:, 1], 0)


def test_wrong_feature_size_names_brick_and_sizes():
    lstm = LSTM(dim=3, name="encoder")
    expected = r"/encoder.apply: input 'inputs' has 5 features, but 4 \* dim is 12"
    with pytest.raises(BrickError, match=expected):
        lstm.apply(tensor.tensor3("x", shape=(None, None, 5)))
    with pytest.raises(ValueError, match="encoder"):
        lstm.apply(tensor.matrix("x", shape=(None, 7)), iterate=False)


def test_bidirectional_concatenates_forward_and_backward():
    bidir = Bidirectional(SimpleRecurrent(dim=1, activation=Identity(),
                                          weights_init=initialization.Identity()))
    bidir.initialize()
    assert [c.name for c in bidir.children] == ["forward", "backward"]
    x = tensor.tensor3("x")
    out = function([x], bidir.apply(x))(np.arange(1.0, 4.0).reshape(3, 1, 1))
    np.testing.assert_array_equal(out[:, 0], [[1, 6], [3, 5], [6, 3]])


def test_recurrent_stack_names_and_values():
    layers = [LSTM(dim=2), LSTM(dim=3)]
    stack = RecurrentStack(layers, weights_init=initialization.IsotropicGaussian(0.3),
                           biases_init=initialization.Constant(0))
    stack.initialize()
    assert stack.apply.outputs == ["states", "cells", "states#1", "cells#1"]
    x = tensor.tensor3("x")
    outputs = stack.apply(inputs=x)
    f = function([x], outputs)
    xv = rng.standard_normal((4, 2, 8))
    h0, c0, h1, c1 = f(xv)
    assert h0.shape == (4, 2, 2) and h1.shape == (4, 2, 3)
    bottom = function([x], layers[0].apply(x)[0])(xv)
    np.testing.assert_allclose(h0, bottom, rtol=RTOL)
    fork = stack.forks[0].children[0]
    upper = function([x], layers[1].apply(fork.apply(layers[0].apply(x)[0]))[0])(xv)
    np.testing.assert_allclose(h1, upper, rtol=RTOL)


def test_recurrent_stack_returns_each_levels_own_initial_states_first():
    layers = [LSTM(dim=2), SimpleRecurrent(dim=3, activation=Tanh())]
    stack = RecurrentStack(layers, weights_init=initialization.IsotropicGaussian(0.3),
                           biases_init=initialization.Constant(0))
    stack.initialize()
    for layer, value in zip(layers, (0.5, -0.25)):  # distinct learnable initial states per level
        for parameter in layer.parameters:
            if has_roles(parameter, [INITIAL_STATE]):
                parameter.set_value(np.full(parameter.get_value().shape, value, dtype=parameter.dtype))
    x = tensor.tensor3("x")
    xv = rng.standard_normal((4, 2, 8)).astype(x.dtype)
    plain = function([x], stack.apply(inputs=x))(xv)
    with_initial = function([x], stack.apply(inputs=x, return_initial_states=True))(xv)
    for name, without, with_ in zip(stack.apply.outputs, plain, with_initial):
        level_value = 0.5 if "#" not in name else -0.25
        assert with_.shape == (5,) + without.shape[1:], name
        np.testing.assert_array_equal(with_[0], np.full(without.shape[1:], level_value), err_msg=name)
        np.testing.assert_allclose(with_[1:], without, rtol=1e-6, err_msg=name)


def test_thousand_step_lstm_differentiates():
    lstm = initialized(LSTM(dim=2))
    x = tensor.tensor3("x")
    g = function([x], grad(lstm.apply(x)[0][-1].sum(), lstm.W_state))(rng.standard_normal((1000, 1, 8)))
    assert np.all(np.isfinite(g))


def test_carried_states_continue_a_sequence_across_calls():
    from brickwork.bricks.recurrent import CarriedStates
    lstm = initialized(LSTM(dim=2))
    x = tensor.tensor3("x")
    xv = rng.standard_normal((6, 2, 8))
    whole = function([x], lstm.apply(x)[0])(xv)
    carried = CarriedStates(lstm, batch_size=2)
    outputs = lstm.apply(x, **carried.initial_states())
    chunk = function([x], outputs[0], updates=carried.updates(outputs))
    np.testing.assert_allclose(np.concatenate([chunk(xv[:3]), chunk(xv[3:])]), whole, rtol=RTOL)
    carried.reset()
    np.testing.assert_allclose(chunk(xv[:3]), whole[:3], rtol=RTOL)
    # truncated BPTT: the chunk's gradient reaches its own carried start, not earlier chunks
    cost = outputs[0].sum()
    gx = function([x], grad(cost, x))(xv[:3])
    assert gx.shape == (3, 2, 8)
