"""The in-place pass and the ownership of buffers: a kernel writes into an array
only when the compiled function owns it and nothing can still see it."""

import numpy as np

from brickwork import function, grad, tensor
from brickwork.graph import evaluate

TOLERANCE = dict(rtol=1e-12, atol=1e-12)  # float64, a handful of operations: rounding only


def _agree(inputs, outputs, *values):
    compiled = function(inputs, outputs)(*values)
    reference = evaluate(outputs, dict(zip(inputs, values)))
    for c, r in zip(compiled, reference):
        np.testing.assert_allclose(c, r, **TOLERANCE)


def test_a_returned_output_is_not_overwritten_through_a_view_of_its_buffer():
    # ``2*x`` is read by a reversed slice and by ``w``; the gradient's kernels must not reuse
    # a buffer while a view of it (or ``w`` itself, which is returned) is alive
    x, y = tensor.vector("x", dtype="float64"), tensor.vector("y", dtype="float64")
    w = 2 * x + y
    v = (2 * x)[::-1] + w
    cost = (v * w).sum()
    _agree([x, y], [w, v] + grad(cost, [x, y]), np.arange(4.0), np.arange(4.0) * 0.5 + 1)


def test_overlapping_slices_of_one_buffer():
    # ``exp(x)[:2]`` is the last reader of ``exp(x)`` but ``exp(x)[1:3]`` still reads it
    x = tensor.vector("x", dtype="float64")
    e = tensor.exp(x)
    _agree([x], [e[1:3] + e[:2] * 2], np.arange(3.0))


def test_a_buffer_seen_through_a_transpose_and_a_reshape():
    x = tensor.matrix("x", dtype="float64")
    a = tensor.tanh(x)
    seen = a.T.reshape((-1,))
    b = tensor.exp(a[:, ::-1]) * 3
    _agree([x], [b, seen], np.linspace(-1, 1, 6).reshape(2, 3))


def test_a_scan_output_shared_with_another_output_is_not_overwritten():
    # a step that returns one variable twice: both outputs are one buffer
    x = tensor.matrix("x", dtype="float64")
    h0 = tensor.vector("h0", dtype="float64")
    h, same = tensor.scan(lambda x_t, h: [tensor.tanh(x_t + h)] * 2, sequences=[x], states=[h0])
    _agree([x, h0], [tensor.exp(h) * 2, same], np.linspace(-1, 1, 6).reshape(3, 2), np.zeros(2))


def test_an_input_read_through_a_view_is_never_written():
    x = tensor.vector("x", dtype="float64")
    given = np.arange(4.0)
    out = function([x], tensor.exp(x[::-1]) + x.reshape((2, 2)).T.reshape((-1,)))(given)
    np.testing.assert_array_equal(given, np.arange(4.0))
    np.testing.assert_allclose(out, np.exp(given[::-1]) + given.reshape(2, 2).T.ravel(), **TOLERANCE)


def test_dying_buffers_are_still_reused():
    # the pass is not simply switched off: a chain of elementwise ops runs in one buffer
    x = tensor.vector("x", dtype="float64")
    f = function([x], tensor.tanh(tensor.exp(x * 2) + 1) * 3)
    in_place = [step for step in f._schedule if step[0].position is not None]
    assert len(in_place) >= 3
    np.testing.assert_allclose(f(np.arange(3.0)), np.tanh(np.exp(np.arange(3.0) * 2) + 1) * 3, **TOLERANCE)


def test_negation_written_into_a_strided_view():
    # NumPy 2.4's ``negative`` writes wrong values into a strided output; a dead
    # buffer's column is such an output for an in-place kernel
    x = tensor.tensor3("x", dtype="float64")
    given = np.arange(16.0).reshape(2, 2, 4) / 16
    out = function([x], -tensor.exp(x)[:, :1, 0])(given)
    np.testing.assert_allclose(out, -np.exp(given[:, :1, 0]), **TOLERANCE)
    np.testing.assert_allclose(function([x], tensor.sigmoid(tensor.exp(x)[:, :1, 0]))(given),
                               1 / (1 + np.exp(-np.exp(given[:, :1, 0]))), **TOLERANCE)
