"""argmin, argsort/sort, top-k, cumsum, one-hot and categorical draws: NumPy semantics and VJPs.

Gradient checks run in float64 (central differences accurate to ~1e-9 for
these piecewise-linear maps, far inside check_grads' rtol=1e-5 / atol=1e-6).
Sort and top-k are differentiable only away from ties, so their inputs are
drawn with distinct elements (a permutation of spaced values plus small noise).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from brickwork import function, tensor
from brickwork.errors import BrickworkError
from brickwork.tensor.random import RandomStreams, random_streams
from brickwork.testing import check_grads

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


@st.composite
def distinct(draw, min_side=1):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=min_side, max_side=5))
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    values = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.5
    return values + rng.uniform(-0.1, 0.1, shape)


def run(f, *arrays):
    variables = [tensor.Variable(tensor.TensorType(a.dtype, (None,) * a.ndim)) for a in arrays]
    return function(variables, f(*variables))(*arrays)


@settings(max_examples=25, deadline=None)
@given(distinct(), st.integers(-3, 2))
def test_argmin_argsort_sort_match_numpy(x, axis):
    axis = axis % x.ndim
    np.testing.assert_array_equal(run(lambda v: tensor.argmin(v, axis), x), np.argmin(x, axis))
    np.testing.assert_array_equal(run(lambda v: tensor.argsort(v, axis), x), np.argsort(x, axis))
    np.testing.assert_array_equal(run(lambda v: tensor.sort(v, axis), x), np.sort(x, axis))
    descending = run(lambda v: tensor.sort(v, axis, descending=True), x)
    np.testing.assert_array_equal(descending, np.flip(np.sort(x, axis), axis))


def test_argsort_is_stable_for_ties_and_integers():
    x = np.array([[2, 1, 2, 1, 0]], dtype=np.int64)
    np.testing.assert_array_equal(run(lambda v: tensor.argsort(v), x), [[4, 1, 3, 0, 2]])
    np.testing.assert_array_equal(run(lambda v: tensor.argsort(v, descending=True), x), [[0, 2, 1, 3, 4]])


@settings(max_examples=25, deadline=None)
@given(distinct(), st.data())
def test_top_k_matches_full_sort(x, data):
    k = data.draw(st.integers(1, x.shape[-1]))
    values, indices = run(lambda v: tensor.top_k(v, k), x)
    expected = np.flip(np.sort(x, -1), -1)[..., :k]
    np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(np.take_along_axis(x, indices, -1), expected)


def test_top_k_ties_prefer_the_smaller_index():
    values, indices = run(lambda v: tensor.top_k(v, 2), np.array([1.0, 3.0, 3.0, 3.0]))
    np.testing.assert_array_equal(indices, [1, 2])


def test_top_k_larger_than_axis_is_an_error_naming_both():
    with pytest.raises(BrickworkError, match="k=5 is larger"):
        tensor.top_k(tensor.Variable(tensor.TensorType("float64", (2, 3))), 5)
    x = tensor.matrix("x")
    with pytest.raises(BrickworkError, match="k=5 is larger"):
        function([x], tensor.top_k(x, 5)[0])(np.zeros((2, 3), "float32"))


@settings(max_examples=25, deadline=None)
@given(distinct(), st.integers(-3, 2), st.booleans())
def test_sort_and_cumsum_gradients(x, axis, reverse):
    axis = axis % x.ndim
    check_grads(lambda v: tensor.sort(v, axis), [x])
    check_grads(lambda v: tensor.cumsum(v, axis, reverse=reverse), [x], order=2)
    np.testing.assert_allclose(run(lambda v: tensor.cumsum(v, axis), x), np.cumsum(x, axis),
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(distinct(min_side=2), st.data())
def test_top_k_gradient(x, data):
    k = data.draw(st.integers(1, x.shape[-1]))
    check_grads(lambda v: tensor.top_k(v, k)[0] ** 2, [x], order=2)


def test_take_along_axis_gradient_adds_repeated_indices():
    x = np.arange(6.0).reshape(2, 3)
    indices = np.array([[0, 0, 2], [1, 1, 1]])
    check_grads(lambda v: tensor.take_along_axis(v, tensor.constant(indices), 1) ** 2, [x], order=2)


@settings(max_examples=25, deadline=None)
@given(hnp.arrays("int64", shapes, elements=st.integers(0, 6)))
def test_one_hot(classes):
    out = run(lambda v: tensor.one_hot(v, 7, dtype="float64"), classes)
    np.testing.assert_array_equal(out, np.eye(7)[classes])


def test_one_hot_rejects_out_of_range_and_floats():
    with pytest.raises(BrickworkError, match="class 9 is outside"):
        run(lambda v: tensor.one_hot(v, 3), np.array([0, 9]))
    with pytest.raises(BrickworkError, match="must be integers"):
        tensor.one_hot(tensor.vector("x"), 3)


def test_categorical_frequencies_follow_the_probabilities():
    streams = RandomStreams(seed=3)
    probs = tensor.matrix("p")
    draw = function([probs], streams.categorical(probs))
    p = np.array([[0.1, 0.6, 0.3], [1.0, 0.0, 0.0]], dtype="float32")
    draws = np.stack([draw(np.repeat(p[:1], 2000, 0))[:] for _ in range(5)]).ravel()
    frequencies = np.bincount(draws, minlength=3) / draws.size
    # 10,000 draws: the standard error of each frequency is below 0.005
    np.testing.assert_allclose(frequencies, p[0], atol=0.02)
    assert (draw(np.repeat(p[1:], 50, 0)) == 0).all()


def test_multinomial_counts():
    streams = RandomStreams(seed=4)
    pvals = tensor.matrix("p")
    p = np.full((3, 4), 0.25, dtype="float32")
    one = function([pvals], streams.multinomial(pvals))(p)
    assert one.shape == (3, 4) and (one.sum(1) == 1).all()
    five = function([pvals], streams.multinomial(pvals, n=5))(p)
    assert (five.sum(1) == 5).all()


def test_draws_inside_a_scan_are_reproducible_from_the_streams_state():
    streams = RandomStreams(seed=5)
    probs = tensor.matrix("p")

    def step(previous):
        return streams.categorical(probs) + previous

    out = tensor.scan(step, states=[tensor.zeros((4,), dtype="int64")], n_steps=6)[0]
    assert random_streams([out]) == [streams]
    sample = function([probs], out)
    p = np.full((4, 10), 0.1, dtype="float32")
    state = streams.get_state()
    first = sample(p)
    streams.set_state(state)
    np.testing.assert_array_equal(sample(p), first)
    assert not np.array_equal(sample(p), first)
