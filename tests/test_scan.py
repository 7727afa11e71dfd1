"""The Scan op: forward against NumPy loops, BPTT against finite differences
and against the unrolled DAG, nesting, long sequences and errors."""

import numpy as np
import pytest

from brickwork import function, grad, initialization, tensor
from brickwork.bricks.recurrent import LSTM
from brickwork.errors import ExecutionError, GraphError
from brickwork.graph import evaluate
from brickwork.graph.unroll import unroll
from brickwork.tensor import scan
from brickwork.testing import check_grads

# Float64 throughout: central differences with eps=1e-6 are then accurate to
# ~1e-9 relative for these smooth, O(1) functions, far inside check_grads'
# rtol=1e-5 / atol=1e-6.
rng = np.random.default_rng(42)


def f64(*shape):
    return rng.standard_normal(shape)


def tanh_rnn(x, h0, w, reverse=False):
    return scan(lambda x_t, h: tensor.tanh(x_t + h @ w), sequences=[x], states=[h0],
                reverse=reverse)[0]


def numpy_tanh_rnn(x, h0, w, reverse=False):
    out, h = np.empty_like(x), h0
    for t in (reversed(range(len(x))) if reverse else range(len(x))):
        h = np.tanh(x[t] + h @ w)
        out[t] = h
    return out


@pytest.mark.parametrize("reverse", [False, True])
def test_forward_matches_numpy_loop(reverse):
    x, h0, w = tensor.tensor3("x", "float64"), tensor.matrix("h0", "float64"), tensor.matrix("w", "float64")
    f = function([x, h0, w], tanh_rnn(x, h0, w, reverse))
    xv, hv, wv = f64(6, 2, 3), f64(2, 3), f64(3, 3)
    np.testing.assert_allclose(f(xv, hv, wv), numpy_tanh_rnn(xv, hv, wv, reverse), rtol=1e-12)


def test_one_compiled_function_serves_every_length():
    x, h0, w = tensor.tensor3("x", "float64"), tensor.matrix("h0", "float64"), tensor.matrix("w", "float64")
    f = function([x, h0, w], tanh_rnn(x, h0, w))
    hv, wv = f64(2, 3), f64(3, 3)
    for length in (1, 4, 9):
        xv = f64(length, 2, 3)
        np.testing.assert_allclose(f(xv, hv, wv), numpy_tanh_rnn(xv, hv, wv), rtol=1e-12)


def test_no_sequences_needs_n_steps_and_accumulates():
    h0 = tensor.vector("h0", "float64")
    states, doubled = scan(lambda h: [h + 1.0, h * 2.0], states=[h0], n_steps=3)
    f = function([h0], [states, doubled])
    s, d = f(np.zeros(2))
    np.testing.assert_array_equal(s, [[1, 1], [2, 2], [3, 3]])
    np.testing.assert_array_equal(d, [[0, 0], [2, 2], [4, 4]])


def test_zero_steps_gives_empty_stack():
    x, h0, w = tensor.tensor3("x", "float64"), tensor.matrix("h0", "float64"), tensor.matrix("w", "float64")
    out = function([x, h0, w], tanh_rnn(x, h0, w))(np.zeros((0, 2, 3)), f64(2, 3), f64(3, 3))
    assert out.shape == (0, 2, 3)


@pytest.mark.parametrize("reverse", [False, True])
def test_gradients_first_and_second_order(reverse):
    args = [f64(4, 2, 3), f64(2, 3), 0.5 * f64(3, 3)]
    check_grads(lambda x, h0, w: tanh_rnn(x, h0, w, reverse), args, order=2)


def test_gradient_with_extra_outputs_and_contexts():
    def model(x, h0, w):
        def step(x_t, h, row):
            new = tensor.tanh(x_t + h @ w)
            return new, (new * row).sum(axis=1)
        states, readout = scan(step, sequences=[x], states=[h0], contexts=[w[0]], reverse=True)
        return readout * states[:, :, 0]
    check_grads(model, [f64(4, 2, 3), f64(2, 3), 0.5 * f64(3, 3)], order=2)


def test_free_variable_and_its_transpose_are_not_counted_twice():
    # The step reads both w and w.T; both are hoisted out of the loop, and the
    # gradient of each must be its partial derivative only.
    def model(x, h0, w):
        return scan(lambda x_t, h: tensor.tanh(x_t + h @ w + h @ w.T), sequences=[x], states=[h0])[0]
    check_grads(model, [f64(3, 2, 3), f64(2, 3), 0.3 * f64(3, 3)], order=2)


def test_scan_gradients_equal_unrolled_gradients():
    x, h0, w = tensor.tensor3("x", "float64"), tensor.matrix("h0", "float64"), tensor.matrix("w", "float64")
    states = tanh_rnn(x, h0, w)
    cost = (states ** 2).sum()
    outputs = [states] + grad(cost, [x, h0, w])
    values = {x: f64(5, 2, 3), h0: f64(2, 3), w: f64(3, 3)}
    compiled = function([x, h0, w], outputs)(*values.values())
    reference = evaluate(unroll(outputs, 5), values)
    for a, b in zip(compiled, reference):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_nested_scan():
    def model(x, w):
        def outer_step(x_t, h):
            inner = scan(lambda c: c * 0.5 + h @ w, states=[x_t], n_steps=2)[0]
            return inner[-1] + h
        return scan(outer_step, sequences=[x], states=[tensor.zeros_like(x[0])])[0]
    check_grads(model, [f64(3, 2, 2), f64(2, 2)], order=2)


def test_thousand_steps_differentiate_without_recursion_error():
    x, w = tensor.tensor3("x", "float64"), tensor.matrix("w", "float64")
    states = tanh_rnn(x, tensor.zeros((x.shape[1], 3), "float64"), w)
    cost = states[-1].sum()
    gw = function([x, w], grad(cost, w))(0.1 * f64(1000, 2, 3), 0.5 * f64(3, 3))
    assert gw.shape == (3, 3) and np.all(np.isfinite(gw))


def test_state_that_changes_shape_is_an_error():
    h0 = tensor.matrix("h0", shape=(None, 3))
    with pytest.raises(GraphError, match="h0"):
        scan(lambda h: tensor.concatenate([h, h], axis=1), states=[h0], n_steps=2)
    x = tensor.tensor3("x")
    h1 = tensor.matrix("h1")
    w = tensor.matrix("w")
    states = scan(lambda x_t, h: x_t @ w, sequences=[x], states=[h1])[0]
    f = function([x, h1, w], states)
    with pytest.raises(ExecutionError, match="h1"):
        f(np.ones((2, 1, 3)), np.ones((1, 3)), np.ones((3, 4)))
    add_state = function([x, h1, w], scan(lambda x_t, h: x_t @ w + h, sequences=[x], states=[h1])[0])
    with pytest.raises(ExecutionError, match=r"time step 0.*\(1, 4\), \(1, 3\)"):
        add_state(np.ones((2, 1, 3)), np.ones((1, 3)), np.ones((3, 4)))


def test_sequences_of_different_lengths_are_an_error():
    a, b = tensor.matrix("a"), tensor.matrix("b")
    states = scan(lambda a_t, b_t, h: h + a_t + b_t, sequences=[a, b], states=[tensor.zeros((3,))])[0]
    with pytest.raises(ExecutionError, match="different lengths"):
        function([a, b], states)(np.ones((2, 3)), np.ones((3, 3)))


def test_last_may_cover_the_states_only():
    x, h0 = tensor.matrix("x", dtype="float64"), tensor.vector("h0", dtype="float64")

    def step(x_t, h):
        new = tensor.tanh(x_t + h)
        return [new, new * 2]
    h, doubled = tensor.scan(step, sequences=[x], states=[h0], last=[True])
    assert h.ndim == 1 and doubled.ndim == 2
    values = np.linspace(-1, 1, 6).reshape(3, 2)
    last, every = function([x, h0], [h, doubled])(values, np.zeros(2))
    np.testing.assert_allclose(every[-1], 2 * last, rtol=1e-15)
    with pytest.raises(GraphError, match="3 flags in last for 2 outputs"):
        tensor.scan(step, sequences=[x], states=[h0], last=[True, False, False])


def test_the_gradient_through_a_scan_over_no_time_steps():
    x, h0, w = tensor.tensor3("x", "float64"), tensor.matrix("h0", "float64"), tensor.matrix("w", "float64")
    h, = scan(lambda x_t, h, w: tensor.tanh(x_t @ w + h @ w), sequences=[x], states=[h0], contexts=[w])
    cost = h.sum() + (h0 * 2).sum()
    outputs = [h] + grad(cost, [x, h0, w]) + grad(grad(cost, w).sum(), [x, h0])
    h_value, dx, dh0, dw, ddx, ddh0 = function([x, h0, w], outputs)(np.zeros((0, 2, 3)), np.ones((2, 3)),
                                                                     np.ones((3, 3)))
    assert h_value.shape == dx.shape == ddx.shape == (0, 2, 3)
    np.testing.assert_array_equal(dh0, np.full((2, 3), 2.0))  # only the direct term: no step read h0
    np.testing.assert_array_equal(dw, np.zeros((3, 3)))
    np.testing.assert_array_equal(ddh0, np.zeros((2, 3)))


def test_an_lstm_over_an_empty_sequence_has_zero_gradients():
    x = tensor.tensor3("x")
    lstm = LSTM(3, weights_init=initialization.Constant(0.1))
    lstm.initialize()
    states, cells = lstm.apply(x)
    wrt = [x] + list(lstm.parameters)  # weights, peepholes, initial state and cells
    assert len(wrt) == 7
    values = function([x], grad(states.sum() + cells.sum(), wrt))(np.zeros((0, 2, 12), dtype="float32"))
    for value, var in zip(values, wrt):
        expected = (0, 2, 12) if var is x else var.get_value().shape
        assert value.shape == expected and not value.any()
