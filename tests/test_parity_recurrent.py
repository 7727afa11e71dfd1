"""Blocks parity of recurrent composition: RecurrentStack names, low_memory, Bidirectional levels,
overriding a recurrent application with super(), WithExtraDims."""

import numpy as np
import pytest

from brickwork import function, tensor
from brickwork.bricks import NDimensionalSoftmax, Softmax, Tanh, application
from brickwork.bricks.recurrent import LSTM, Bidirectional, RecurrentStack, SimpleRecurrent
from brickwork.bricks.recurrent.stack import split_suffix, suffixed
from brickwork.initialization import Constant, IsotropicGaussian

ATOL = 1e-10  # float64: one scan and per-level scans sum the same products in the same order


def stack_of(transitions, **options):
    stack = RecurrentStack(transitions, weights_init=IsotropicGaussian(0.5), biases_init=Constant(0.1),
                           seed=5, **options)
    stack.initialize()
    return stack


def test_suffixes_as_blocks():
    assert suffixed("states", 0) == "states" and suffixed("states", 2) == "states#2"
    assert suffixed("mask", 3) == "mask"
    assert split_suffix("states#1#2") == ("states#1", 2)
    assert split_suffix("a#b") == ("a#b", 0) and split_suffix("cells#10") == ("cells", 10)
    stack = stack_of([LSTM(dim=2), LSTM(dim=3), LSTM(dim=2)])
    assert [t.name for t in stack.transitions] == ["lstm#0", "lstm#1", "lstm#2"]
    assert [f.name for f in stack.forks] == ["fork_1", "fork_2"]
    assert stack.apply.sequences == ["inputs", "mask"]
    assert stack.apply.states == ["states", "cells", "states#1", "cells#1", "states#2", "cells#2"]
    skip = stack_of([SimpleRecurrent(dim=2, activation=Tanh()), SimpleRecurrent(dim=2, activation=Tanh())],
                    skip_connections=True)
    assert skip.apply.sequences == ["inputs", "inputs#1", "mask"]


@pytest.mark.parametrize("extra", [{}, {"return_initial_states": True}, {"reverse": True}])
def test_low_memory_equals_level_by_level(float64, extra):
    stack = stack_of([LSTM(dim=2), LSTM(dim=3)])
    x, mask = tensor.tensor3("x", dtype="float64"), tensor.matrix("mask", dtype="float64")
    rng = np.random.default_rng(0)
    xv, mv = rng.standard_normal((5, 2, 8)), np.array([[1, 1]] * 3 + [[1, 0]] * 2, dtype="float64")
    whole = function([x, mask], stack.apply(inputs=x, mask=mask, **extra))(xv, mv)
    saving = function([x, mask], stack.apply(inputs=x, mask=mask, low_memory=True, **extra))(xv, mv)
    assert len(whole) == len(saving) == 4
    for a, b in zip(whole, saving):
        np.testing.assert_allclose(b, a, atol=ATOL)


def test_bidirectional_inside_a_stack(float64):
    bottom = Bidirectional(SimpleRecurrent(dim=3, activation=Tanh()))
    stack = stack_of([bottom, SimpleRecurrent(dim=2, activation=Tanh())])
    assert bottom.apply.sequences == ["inputs", "mask"] and bottom.apply.states == ["states"]
    x = tensor.tensor3("x", dtype="float64")
    low, high = stack.apply(inputs=x)
    xv = np.random.default_rng(1).standard_normal((4, 2, 3))
    lv, hv = function([x], [low, high])(xv)
    assert lv.shape == (4, 2, 6) and hv.shape == (4, 2, 2)
    top = stack.transitions[1]
    fork = stack.forks[0]
    expected = function([x], top.apply(fork.apply(bottom.apply(x))))(xv)
    np.testing.assert_allclose(hv, expected, atol=ATOL)
    assert stack.initial_states(2)[0].ndim == 2
    with pytest.raises(ValueError, match="low_memory"):
        stack.apply(inputs=x, low_memory=True)


def test_overriding_a_recurrent_application_with_super(float64):
    class WithContext(SimpleRecurrent):
        @application(contexts=["context"])
        def apply(self, context, *args, **kwargs):
            kwargs["inputs"] = kwargs["inputs"] + context
            return super().apply(*args, **kwargs)

        @apply.delegate
        def apply_delegate(self):
            return super().apply

    brick = WithContext(dim=3, activation=Tanh(), weights_init=IsotropicGaussian(0.3))
    brick.initialize()
    assert brick.apply.contexts == ["context"] and brick.apply.states == ["states"]
    assert WithContext.apply.contexts == ["context"]
    x, c = tensor.tensor3("x", dtype="float64"), tensor.matrix("c", dtype="float64")
    rng = np.random.default_rng(2)
    xv, cv = rng.standard_normal((4, 2, 3)), rng.standard_normal((2, 3))
    out = function([x, c], brick.apply(tensor.expand_dims(c, 0), inputs=x))(xv, cv)
    plain = function([x], SimpleRecurrent.apply(brick, inputs=x))(xv + cv)
    np.testing.assert_allclose(out, plain, atol=ATOL)


def test_with_extra_dims(float64):
    x = tensor.tensor3("x", dtype="float64")
    y = tensor.lmatrix("y")
    rng = np.random.default_rng(3)
    xv, yv = rng.standard_normal((4, 2, 5)), rng.integers(0, 5, (4, 2))
    brick = NDimensionalSoftmax()
    costs = function([x, y], brick.categorical_cross_entropy(y, x, extra_ndim=1))(xv, yv)
    m, v = tensor.matrix("m", dtype="float64"), tensor.lvector("v")
    flat = function([m, v], Softmax().categorical_cross_entropy(v, m))(xv.reshape(8, 5), yv.reshape(8))
    np.testing.assert_allclose(costs, flat.reshape(4, 2), atol=ATOL)
    probabilities = function([x], brick.apply(x, extra_ndim=1))(xv)
    assert probabilities.shape == (4, 2, 5)
    assert brick.categorical_cross_entropy.inputs == ["y", "x"]
