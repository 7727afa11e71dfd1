"""How a scan runs: specialization to shapes, hoisting, regrouped products,
gathered slices, buffers written in place and pooled, errors inside the loop,
and the compiler's memory-minded schedule. Every result is held to the
reference evaluator of the unrolled graph (float64, so that reassociated
products agree to ~1e-15; rtol=1e-12 leaves room for a few roundings)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brickwork import function, grad, tensor
from brickwork.errors import ExecutionError
from brickwork.graph import evaluate
from brickwork.graph.rewrites import optimize
from brickwork.graph.unroll import unroll
from brickwork.scan import Scan
from brickwork.scan.hoist import HOIST_MAX_SIZE, specialize, split, whole_type
from brickwork.tensor import Constant, Variable, scan
from brickwork.tensor.elemwise import Mul
from brickwork.tensor.shape import Concatenate
from brickwork.tensor.variable import TensorType
from brickwork.tensor.walk import toposort

rng = np.random.default_rng(7)


def f64(*shape):
    return rng.standard_normal(shape)


def compiled_and_reference(outputs, inputs, values, n_steps):
    """The compiled function's results and the unrolled reference's, side by side."""
    compiled = function(inputs, outputs)(*values)
    reference = evaluate(unroll(outputs, n_steps), dict(zip(inputs, values)))
    return compiled, reference


def assert_all_close(compiled, reference):
    for a, b in zip(compiled, reference):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def scan_node(outputs):
    return next(n for n in toposort(outputs) if isinstance(n.op, Scan))


def test_regrouped_products_put_the_sequence_factors_together():
    a, b, h = (Variable(TensorType("float64", (2, 3))) for _ in range(3))
    out = specialize([(h * a) * b], {}, [h])[0]
    assert isinstance(out.owner.op, Mul) and h in out.owner.inputs
    inner = next(v for v in out.owner.inputs if v is not h)
    assert isinstance(inner.owner.op, Mul) and set(map(id, inner.owner.inputs)) == {id(a), id(b)}


def test_sequence_only_work_is_hoisted_and_the_rest_is_not():
    x_t, h = Variable(TensorType("float64", (2, 3))), Variable(TensorType("float64", (2, 3)))
    w = Variable(TensorType("float64", (3, 3)))
    projected = tensor.tanh(x_t @ w + 1.0)
    new_h = tensor.tanh(projected + h @ w)
    whole = [Variable(whole_type(x_t.type))]
    parts = split([new_h], [x_t], [h], [w], whole)
    assert parts.hoisted == [projected] and parts.sequences == []
    assert parts.before[0].type.shape == (None, 2, 3)


def test_large_per_step_arrays_stay_in_the_loop():
    side = int(np.sqrt(HOIST_MAX_SIZE)) + 1
    x_t, h = (Variable(TensorType("float32", (side, side))) for _ in range(2))
    parts = split([h * tensor.exp(x_t)], [x_t], [h], [], [Variable(whole_type(x_t.type))])
    assert parts.hoisted == [] and parts.sequences == [0]


@pytest.mark.parametrize("reverse", [False, True])
def test_hoisted_forward_and_backward_match_the_unrolled_graph(reverse):
    x, h0, w = tensor.tensor3("x", "float64"), tensor.matrix("h0", "float64"), tensor.matrix("w", "float64")

    def step(x_t, h):
        gate = tensor.sigmoid(x_t * 2.0 - 1.0)  # reads only the sequence: hoisted
        return gate * tensor.tanh(h @ w) + (1 - gate) * x_t

    states = scan(step, sequences=[x], states=[h0], reverse=reverse)[0]
    cost = (states * states).sum()
    outputs = [states] + grad(cost, [x, h0, w])
    values = [f64(6, 2, 3), f64(2, 3), 0.5 * f64(3, 3)]
    assert_all_close(*compiled_and_reference(outputs, [x, h0, w], values, 6))


def test_gate_gradients_are_gathered_by_one_concatenation():
    h = Variable(TensorType("float64", (2, 6)))
    g = tensor.sigmoid(h[:, :2]).sum() + tensor.tanh(h[:, 2:5]).sum() + (h[:, 5:] ** 2).sum()
    total = specialize([grad(g, h)], {}, [])[0]
    assert any(isinstance(n.op, Concatenate) for n in toposort([total]))
    value = f64(2, 6)
    expected = np.concatenate([np.exp(-value[:, :2]) / (1 + np.exp(-value[:, :2])) ** 2,
                               1 - np.tanh(value[:, 2:5]) ** 2, 2 * value[:, 5:]], axis=1)
    np.testing.assert_allclose(evaluate(total, {h: value}), expected, rtol=1e-12)


def test_outputs_of_every_kind_are_stacked_right():
    x, h0 = tensor.tensor3("x", "float64"), tensor.matrix("h0", "float64")
    w = tensor.matrix("w", "float64")

    def step(x_t, h):
        new = tensor.tanh(x_t + h @ w)
        # the new state twice, a sequence slice, a free variable, a constant, a state passed on
        return new, new, x_t, w, tensor.constant(np.ones(3)), h

    outputs = scan(step, sequences=[x], states=[h0])
    values = [f64(4, 2, 3), f64(2, 3), 0.5 * f64(3, 3)]
    compiled, reference = compiled_and_reference(outputs, [x, h0, w], values, 4)
    assert_all_close(compiled, reference)
    assert compiled[3].shape == (4, 3, 3) and compiled[4].shape == (4, 3)


def test_a_held_result_is_never_overwritten_by_the_next_call():
    x, h0 = tensor.tensor3("x", "float64"), tensor.matrix("h0", "float64")
    f = function([x, h0], scan(lambda x_t, h: x_t + h, sequences=[x], states=[h0])[0])
    first_input = f64(3, 2, 2)
    first = f(first_input, np.zeros((2, 2)))
    kept = first.copy()
    second = f(f64(3, 2, 2), np.ones((2, 2)))
    np.testing.assert_array_equal(first, kept)
    assert not np.shares_memory(first, second)


def test_one_function_serves_several_batch_sizes_and_feature_sizes():
    x = tensor.tensor3("x", "float64")

    def step(x_t, h):  # reads the slice's size: specialized by value, per shape
        return h + x_t * tensor.cast(x_t.shape[1], "float64")

    f = function([x], scan(step, sequences=[x], states=[tensor.zeros_like(x[0])])[0])
    for shape in [(3, 2, 4), (5, 1, 4), (2, 3, 7)]:
        value = f64(*shape)
        np.testing.assert_allclose(f(value), np.cumsum(value * shape[2], axis=0), rtol=1e-12)


def test_an_error_after_the_first_step_names_the_time_step_and_the_op():
    x, k = tensor.matrix("x", "float64"), tensor.matrix("k", "int64", shape=(None, 2))
    stacked = scan(lambda x_t, k_t: tensor.reshape(x_t, k_t).sum(axis=0), sequences=[x, k])[0]
    f = function([x, k], stacked)
    with pytest.raises(ExecutionError, match=r"time step 3.*Reshape"):
        f(np.ones((4, 6)), np.array([[2, 3], [2, 3], [2, 3], [4, 4]]))
    with pytest.raises(ExecutionError, match=r"time step 1: output 0 has shape \(2,\), but \(3,\) at the first"):
        f(np.ones((4, 6)), np.array([[2, 3], [3, 2], [2, 3], [2, 3]]))


def test_a_step_that_reads_only_the_shape_of_a_sequence_does_not_keep_it():
    x, y = tensor.tensor3("x", "float64"), tensor.tensor3("y", "float64")

    def step(x_t, y_t, h):
        return h + tensor.cast(x_t.shape[0], "float64") * y_t

    states = scan(step, sequences=[x, y], states=[tensor.zeros_like(y[0])])[0]
    op = scan_node([states]).op
    assert len(op.seq_in) == 1  # only y: the size of x comes from outside the loop
    value = function([x, y], states)(f64(3, 5, 2), f64(3, 5, 2))
    assert value.shape == (3, 5, 2)


def test_small_results_are_computed_as_soon_as_their_inputs_exist():
    x = tensor.matrix("x", "float64")
    big = tensor.exp(x)
    late = tensor.tanh(big) * 2.0
    size = tensor.cast(big.shape[0], "float64")
    outputs = [late.sum() + size]
    steps, _ = optimize(toposort(outputs, stop_at=[x]), outputs)
    names = [type(op).__name__ for op, _, _ in steps]
    assert names.index("Shape") == names.index("Exp") + 1


# random step functions: every op the hoisting and regrouping touch, in random order
_UNARY = [tensor.tanh, tensor.sigmoid, lambda v: v * 0.5, lambda v: 1.0 - v]
_BINARY = [lambda a, b: a * b, lambda a, b: a + b, lambda a, b: a - b * 0.5]


def _random_step(program):
    def step(x_t, h, c):
        values = [x_t, h, c]
        for kind, i, j in program:
            a, b = values[i % len(values)], values[j % len(values)]
            values.append(_UNARY[kind % 4](a) if kind < 4 else _BINARY[kind % 3](a, b))
        return tensor.tanh(values[-1] + h @ c[:3]), values[-2] * c
    return step


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=8),
       st.booleans())
def test_random_steps_match_the_unrolled_graph(program, reverse):
    x, h0, c0 = (tensor.tensor3("x", "float64"), tensor.matrix("h0", "float64"),
                 tensor.matrix("c0", "float64"))
    states = scan(_random_step(program), sequences=[x], states=[h0, c0], reverse=reverse)
    cost = (states[0] ** 2).sum() + states[1].sum()
    outputs = list(states) + grad(cost, [x, h0, c0])
    values = [0.5 * f64(4, 3, 3), 0.5 * f64(3, 3), 0.5 * f64(3, 3)]
    assert_all_close(*compiled_and_reference(outputs, [x, h0, c0], values, 4))


def test_constant_outputs_and_constant_states():
    h0 = tensor.vector("h0", "float64")
    outputs = scan(lambda h: [h * 0.0 + Constant(np.arange(2.0)), h + 1.0], states=[h0], n_steps=3)
    assert_all_close(*compiled_and_reference(outputs, [h0], [np.zeros(2)], 3))


@pytest.mark.parametrize("reverse", [False, True])
def test_histories_hold_the_initial_state_and_carry_gradients(reverse):
    from brickwork.testing import check_grads

    def with_history(x, h0, w):
        plain = scan(lambda x_t, h: tensor.tanh(x_t + h @ w), sequences=[x], states=[h0], reverse=reverse)[0]
        node = scan_node([plain])
        op = node.op
        outputs = Scan(op.seq_in, op.state_in, op.free, op.step_outputs, op.reverse, op.last,
                       history=True)(*node.inputs)
        return outputs

    x, h0, w = tensor.tensor3("x", "float64"), tensor.matrix("h0", "float64"), tensor.matrix("w", "float64")
    states, history = with_history(x, h0, w)
    values = [f64(4, 2, 3), f64(2, 3), 0.5 * f64(3, 3)]
    compiled, reference = compiled_and_reference([states, history], [x, h0, w], values, 4)
    assert_all_close(compiled, reference)
    expected = [compiled[0], values[1][None]] if reverse else [values[1][None], compiled[0]]
    np.testing.assert_array_equal(compiled[1], np.concatenate(expected))
    check_grads(lambda x, h0, w: (with_history(x, h0, w)[1] ** 2).sum(), values, order=2)


def test_scalar_states_and_outputs_are_written_into_their_buffers():
    x, h0 = tensor.matrix("x", "float64"), tensor.scalar("h0", "float64")
    outputs = scan(lambda x_t, h: [h + tensor.tanh(x_t).sum(), (x_t * 2.0).sum() + 1.0],
                   sequences=[x], states=[h0])
    compiled, reference = compiled_and_reference(outputs, [x, h0], [f64(4, 3), np.array(0.5)], 4)
    assert_all_close(compiled, reference)
    assert compiled[0].shape == (4,)
