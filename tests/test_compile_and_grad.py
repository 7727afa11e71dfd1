"""grad, function and the reference evaluator: behaviour, rewrites and errors."""

import sys
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brickwork import function, grad, shared, tensor
from brickwork.errors import ExecutionError, GradientError, GraphError, InputError
from brickwork.graph import evaluate
from brickwork.tensor.op import Op
from brickwork.testing import check_grads


def test_fan_out_accumulates_and_integers_get_nothing():
    x = tensor.vector("x", dtype="float64")
    i = tensor.lvector("i")
    y = x * x + x + tensor.cast(i, "float64") * x
    gx, = grad(y.sum(), [x])
    np.testing.assert_allclose(function([x, i], gx)(np.array([1.0, 2.0]), np.array([3, 4])), [6, 9])
    with pytest.raises(GradientError, match="dtype int64 is not a float"):
        grad(y.sum(), i)


def test_grad_errors_and_disconnected_inputs():
    x, z = tensor.vector("x"), tensor.vector("z")
    with pytest.raises(GradientError, match="must be a scalar"):
        grad(x * 2, x)
    with pytest.raises(GradientError, match="does not depend on <z"):
        grad(x.sum(), z)
    zero = function([z], grad(x.sum(), z, disconnected_inputs="zero"))(np.ones(3, dtype="float32"))
    np.testing.assert_array_equal(zero, np.zeros(3))


def test_consider_constant_known_grads_and_grad_of_grad():
    x = tensor.scalar("x", dtype="float64")
    y = x ** 3
    g = grad(y, x)
    gg = grad(g, x)
    f = function([x], [g, gg, grad(y * x, x, consider_constant=[y]), grad(None, x, known_grads={y: 2.0})])
    np.testing.assert_allclose(f(2.0), [12.0, 12.0, 8.0, 24.0])


def test_updates_are_simultaneous_and_outputs_belong_to_the_caller():
    a, b = shared(np.array([1.0, 2.0]), name="a"), shared(np.array([3.0, 4.0]), name="b")
    swap = function([], [a, b], updates=[(a, b), (b, a)])
    first_a, _ = swap()
    np.testing.assert_array_equal(a.get_value(), [3, 4])
    np.testing.assert_array_equal(b.get_value(), [1, 2])
    first_a[:] = 99  # mutating a returned array changes nothing inside
    np.testing.assert_array_equal(b.get_value(), [1, 2])
    x = tensor.vector("x")
    identity = function([x], x)
    given = np.ones(2, dtype="float32")
    identity(given)[:] = 5
    np.testing.assert_array_equal(given, [1, 1])


def test_givens_replace_variables():
    x, y = tensor.vector("x"), tensor.vector("y")
    f = function([y], (x * 2).sum(), givens={x: y + 1})
    assert f(np.ones(3, dtype="float32")) == 12


def test_rewrites_fold_merge_and_prune():
    x = tensor.vector("x")
    unused = tensor.exp(x)  # noqa: F841 (dead code)
    shared_part = tensor.tanh(x) * 3
    constant = tensor.constant(np.arange(3.0, dtype="float32")) * 2 + 1
    f = function([x], [shared_part + tensor.tanh(x) * 3 + constant])
    # tanh, mul(3) once each (merged), the add of both, the add of the folded constant
    assert f.n_steps == 4
    np.testing.assert_allclose(f(np.zeros(3, dtype="float32"))[0], [1, 3, 5])


def test_argument_validation_names_the_input():
    x, i = tensor.matrix("x"), tensor.lvector("i")
    f = function([x, i], x.sum() + i.sum())
    with pytest.raises(InputError, match=r"expected 2 arguments \('x', 'i'\), got 1"):
        f(np.ones((2, 2)))
    with pytest.raises(InputError, match=r"input 'x' \(argument 0\): expected 2 axes"):
        f(np.ones(3), np.ones(2, dtype=int))
    with pytest.raises(InputError, match="input 'i' .*expected dtype int64, got float64"):
        f(np.ones((2, 2)), np.ones(2))
    assert f(np.ones((2, 2), dtype="float64"), np.array([1, 2])) == 7  # float64 is cast to float32
    m = tensor.matrix("m", shape=(None, 3))
    with pytest.raises(InputError, match=r"input 'm' .*expected size 3 on axis 1"):
        function([m], m.sum())(np.ones((2, 4)))


def test_shape_errors_at_build_time_and_at_run_time():
    a, b = tensor.matrix("a", shape=(3, 4)), tensor.matrix("b", shape=(5, 2))
    with pytest.raises(GraphError, match=r"MatMul: shapes \(3, 4\) and \(5, 2\) do not align"):
        a @ b
    with pytest.raises(GraphError, match=r"Add: shapes \(3,\) and \(4,\) do not broadcast"):
        tensor.vector("u", shape=(3,)) + tensor.vector("v", shape=(4,))
    with pytest.raises(GraphError, match="out of bounds"):
        a[7]
    with pytest.raises(GraphError, match="cannot reshape"):
        a.reshape((5, 2))
    u, v = tensor.vector("u"), tensor.vector("v")
    with pytest.raises(ExecutionError, match=r"Add\(\) failed on inputs of shapes \(3,\), \(4,\)"):
        function([u, v], u + v)(np.ones(3), np.ones(4))


def test_a_hundred_thousand_node_chain():
    x = tensor.scalar("x", dtype="float64")
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    limit = sys.getrecursionlimit()
    started = time.perf_counter()
    g = grad(y, x)
    f = function([x], [y, g])
    print(f"\n100,000-node chain: grad + compile in {time.perf_counter() - started:.2f} s")
    assert sys.getrecursionlimit() == limit
    value, slope = f(1.0)
    np.testing.assert_allclose([value, slope], [1.00001 ** 100_000] * 2, rtol=1e-9)


class WrongSquare(Op):
    """x**2 with a deliberately wrong vjp (3x instead of 2x)."""

    def infer(self, x):
        return [x.type]

    def perform(self, x):
        return x * x

    def vjp(self, node, grads):
        return [grads[0] * node.inputs[0] * 3]


def test_check_grads_reports_a_wrong_vjp():
    with pytest.raises(GradientError, match=r"argument 0 .*worst at position \(\d+,\): analytic .* numeric"):
        check_grads(lambda x: WrongSquare()(x), [np.array([0.5, 1.0, -2.0])])


OPERATIONS = [
    lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: tensor.tanh(a) * b,
    lambda a, b: tensor.maximum(a, b), lambda a, b: a / (b * b + 1), lambda a, b: tensor.sigmoid(a - b),
    lambda a, b: a.sum(axis=0, keepdims=True) + b, lambda a, b: a @ b.T @ a * 0.1,
]


@given(st.lists(st.tuples(st.integers(0, len(OPERATIONS) - 1), st.integers(0, 20), st.integers(0, 20)),
                min_size=1, max_size=25))
def test_compiled_functions_agree_with_the_reference_evaluator(program):
    a, b = tensor.matrix("a", dtype="float64"), tensor.matrix("b", dtype="float64")
    pool = [a, b]
    for op, i, j in program:
        pool.append(OPERATIONS[op](pool[i % len(pool)], pool[j % len(pool)]))
    outputs = pool[2:] + grad(pool[-1].sum(), [a, b], disconnected_inputs="zero")
    values = {a: np.linspace(-1, 1, 6).reshape(2, 3), b: np.linspace(0.5, -0.5, 6).reshape(2, 3)}
    compiled = function([a, b], outputs)(*values.values())
    reference = evaluate(outputs, values)
    for c, r in zip(compiled, reference):
        np.testing.assert_allclose(c, r, rtol=1e-10, atol=1e-12)
