"""Blocks parity of the bricks: expected values from Blocks' docstrings and tests.

Each test states the Blocks behaviour it follows; the numbers are the ones
Blocks' own doctests and tests give (mila-udem/blocks, blocks/bricks/*.py and
tests/bricks/*.py), computed here again with NumPy where they are not fixed.
"""

import pickle

import numpy as np
import pytest

from brickwork import function, tensor
from brickwork.bricks import (
    MLP,
    Brick,
    Distribute,
    Fork,
    LeakyRectifier,
    Linear,
    LinearMaxout,
    LookupTable,
    Maxout,
    Merge,
    MisclassificationRate,
    Parallel,
    Sequence,
    Tanh,
    application,
    lazy,
)
from brickwork.errors import BrickworkError
from brickwork.graph import ComputationGraph
from brickwork.initialization import Constant

RTOL = 1e-6  # float32 results of a few exact integer-valued products and tanh


def test_parallel_doc_example():
    x, y = tensor.matrix("x"), tensor.matrix("y")
    parallel = Parallel(prototype=Linear(use_bias=False), input_names=["x", "y"],
                        input_dims=[2, 3], output_dims=[4, 5], weights_init=Constant(2))
    parallel.initialize()
    new_x, new_y = parallel.apply(x=x, y=y)
    np.testing.assert_array_equal(function([x], new_x)(np.ones((1, 2))), [[4.0] * 4])
    np.testing.assert_array_equal(function([y], new_y)(np.ones((1, 3))), [[6.0] * 5])
    assert [c.name for c in parallel.children] == ["transform_x", "transform_y"]
    assert parallel.apply.inputs == parallel.apply.outputs == ["x", "y"]


def test_fork_doc_example_and_single_output():
    x = tensor.matrix("x")
    fork = Fork(output_names=["y", "z"], input_dim=2, output_dims=[3, 4],
                weights_init=Constant(2), biases_init=Constant(1))
    fork.initialize()
    y, z = fork.apply(x)
    np.testing.assert_array_equal(function([x], y)(np.ones((1, 2))), [[5.0] * 3])
    np.testing.assert_array_equal(function([x], z)(np.ones((1, 2))), [[5.0] * 4])
    assert fork.apply.inputs == ["input_"] and fork.apply.outputs == ["y", "z"]
    assert [c.name for c in fork.children] == ["fork_y", "fork_z"]
    single = Fork(["only"], input_dim=2, output_dims=[3], weights_init=Constant(1), biases_init=Constant(0))
    single.initialize()
    assert single.apply(x).name == "fork_apply_only"  # one output comes back as a variable


def test_distribute_doc_example():
    x, y, z = tensor.matrix("x"), tensor.matrix("y"), tensor.matrix("z")
    distribute = Distribute(target_names=["x", "y"], source_name="z", target_dims=[2, 3],
                            source_dim=3, weights_init=Constant(2))
    distribute.initialize()
    new_x, new_y = distribute.apply(x=x, y=y, z=z)
    np.testing.assert_array_equal(function([x, z], new_x)(2 * np.ones((1, 2)), np.ones((1, 3))), [[8.0, 8.0]])
    np.testing.assert_array_equal(function([y, z], new_y)(np.ones((1, 3)), np.ones((1, 3))), [[7.0] * 3])
    assert distribute.apply.inputs == ["z", "x", "y"] and distribute.apply.outputs == ["x", "y"]
    with pytest.raises(BrickworkError, match="inputs"):
        distribute.apply(x=x, z=z)


def test_merge_doc_example():
    a, b = tensor.matrix("a"), tensor.matrix("b")
    merge = Merge(input_names=["a", "b"], input_dims=[3, 4], output_dim=2, weights_init=Constant(1.0))
    merge.initialize()
    c = merge.apply(a=a, b=b)
    np.testing.assert_array_equal(function([a, b], c)(np.ones((1, 3)), 2 * np.ones((1, 4))), [[11.0, 11.0]])
    assert merge.apply.outputs == ["output"] and merge.get_dim("output") == 2


def test_maxout_and_linear_maxout_match_numpy():
    x = tensor.tensor3("x")
    xv = np.random.default_rng(0).normal(size=(4, 5, 24)).astype("float32")
    out = function([x], Maxout(num_pieces=3).apply(x))(xv)
    np.testing.assert_array_equal(out, xv.reshape(4, 5, 8, 3).max(3))
    m = tensor.matrix("m")
    brick = LinearMaxout(input_dim=16, output_dim=8, num_pieces=3, weights_init=Constant(2),
                         biases_init=Constant(1))
    y = brick.apply(m)
    brick.initialize()
    mv = np.ones((4, 16), dtype="float32")
    expected = (mv @ (2 * np.ones((16, 24))) + 1).reshape(4, 8, 3).max(2)
    np.testing.assert_allclose(function([m], y)(mv), expected, rtol=RTOL)


def test_leaky_rectifier_default_and_given_leak():
    x = tensor.vector("x")
    xv = np.random.default_rng(1).random(8).astype("float32") - 0.5
    for brick, leak in ((LeakyRectifier(), 0.01), (LeakyRectifier(leak=0.05), 0.05)):
        expected = np.where(xv < 0, leak * xv, xv)
        np.testing.assert_allclose(function([x], brick.apply(x))(xv), expected, rtol=1e-5)


def test_mlp_with_applications_as_activations_and_dims_set_later():
    x = tensor.matrix("x")
    xv = np.random.default_rng(2).random((2, 16)).astype("float32")
    mlp = MLP(activations=[Tanh().apply, None], dims=[16, 8, 4], weights_init=Constant(1),
              biases_init=Constant(1))
    y = mlp.apply(x)
    mlp.initialize()
    expected = np.tanh(xv @ np.ones((16, 8)) + 1) @ np.ones((8, 4)) + 1
    np.testing.assert_allclose(function([x], y)(xv), expected, rtol=RTOL)
    later = MLP(activations=[None], weights_init=Constant(1), use_bias=False)
    later.dims = [16, 8]
    out = later.apply(x)
    later.initialize()
    np.testing.assert_allclose(function([x], out)(xv), xv @ np.ones((16, 8)), rtol=RTOL)
    assert later.rng is later.linear_transformations[0].rng  # children draw from the parent's rng


def test_mlp_prototype_and_use_bias_pushing():
    class MyLinear(Linear):
        pass
    mlp = MLP(activations=[Tanh(), Tanh(), None], dims=[4, 5, 6, 7], prototype=MyLinear())
    assert all(isinstance(layer, MyLinear) for layer in mlp.linear_transformations)
    assert [layer.name for layer in mlp.linear_transformations] == ["mylinear_0", "mylinear_1", "mylinear_2"]
    pushed = MLP([Tanh(), None], [4, 5, 7], prototype=Linear(use_bias=False), use_bias=True)
    pushed.push_allocation_config()
    assert all(layer.use_bias for layer in pushed.linear_transformations)
    kept = MLP([Tanh(), None], [4, 5, 7], prototype=Linear(use_bias=False))
    kept.push_allocation_config()
    assert not any(layer.use_bias for layer in kept.linear_transformations)


def test_sequence_with_several_outputs_and_inputs():
    x, y = tensor.matrix("x"), tensor.matrix("y")
    first = Linear(input_dim=16, output_dim=8, weights_init=Constant(2), biases_init=Constant(1))
    fork = Fork(input_dim=8, output_names=["a", "b"], output_dims=[4, 5], prototype=Linear(),
                weights_init=Constant(3), biases_init=Constant(4))
    seq = Sequence([first.apply, fork.apply])
    seq.initialize()
    y1, y2 = seq.apply(x)
    xv = np.ones((4, 16), dtype="float32")
    hidden = xv @ (2 * np.ones((16, 8))) + 1
    np.testing.assert_allclose(function([x], y1)(xv), hidden @ (3 * np.ones((8, 4))) + 4, rtol=RTOL)
    np.testing.assert_allclose(function([x], y2)(xv), hidden @ (3 * np.ones((8, 5))) + 4, rtol=RTOL)
    p1 = Parallel(input_names=["i1", "i2"], input_dims=[4, 5], output_dims=[3, 2], prototype=Linear(),
                  weights_init=Constant(2), biases_init=Constant(1))
    p2 = Parallel(input_names=["i1", "i2"], input_dims=[3, 2], output_dims=[5, 4], prototype=Linear(),
                  weights_init=Constant(2), biases_init=Constant(1))
    both = Sequence([p1.apply, p2.apply])
    both.initialize()
    new_x, new_y = both.apply(x, y)
    xv, yv = np.ones((4, 4), dtype="float32"), np.ones((4, 5), dtype="float32")
    np.testing.assert_allclose(function([x], new_x)(xv), (xv @ (2 * np.ones((4, 3))) + 1) @ (2 * np.ones((3, 5))) + 1)
    np.testing.assert_allclose(function([y], new_y)(yv), (yv @ (2 * np.ones((5, 2))) + 1) @ (2 * np.ones((2, 4))) + 1)
    assert both.apply.inputs == ["i1", "i2"]


def test_misclassification_rate_top_k():
    y, yhat = tensor.ivector("y"), tensor.matrix("yhat")
    rates = [MisclassificationRate(top_k=k).apply(y, yhat) for k in (1, 2, 3)]
    yv = np.array([2, 1, 0, 1, 2], dtype="int32")
    yhatv = np.array([[3, 2, 1, 0], [1, 8, 2, 1], [3, 8, 1, 2], [1, 6, 4, 2], [9, 7, 5, 5]], dtype="float32")
    np.testing.assert_allclose(function([y, yhat], rates)(yv, yhatv), [0.6, 0.4, 0.2], rtol=RTOL)
    assert rates[0].name == "misclassificationrate_apply_error_rate"


def test_lookup_table_feedforward_interface():
    table = LookupTable(length=4, dim=3, weights_init=Constant(0))
    assert table.input_dim == 0 and table.output_dim == 3
    table.output_dim = 4
    assert table.dim == 4
    with pytest.raises(BrickworkError, match="input_dim"):
        table.input_dim = 11
    table.input_dim = 0


class ToyBrick(Brick):
    """The brick of Blocks' tests/bricks/test_bricks.py, reduced to what is checked."""

    @lazy(allocation=["config"])
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config

    @application
    def apply(self, x, y=1, **kwargs):
        if isinstance(x, list):
            x = x[0]
        return [x, y] + list(kwargs.values())

    @application(inputs=["x"], outputs=["y"])
    def second_apply(self, x):
        return x + 1

    @second_apply.property("all")
    def second_apply_all(self):
        return self.second_apply.inputs + self.second_apply.outputs

    @application
    def delegated_apply(self, x, w):
        return x

    @delegated_apply.delegate
    def delegate(self):
        return self.second_apply


def test_application_attributes_per_brick_and_class():
    brick = ToyBrick()
    assert brick.second_apply.inputs == ["x"] and brick.second_apply.outputs == ["y"]
    assert brick.delegated_apply.inputs == ["x"] and brick.delegated_apply.outputs == ["y"]
    assert brick.second_apply.all == ["x", "y"]
    brick.second_apply.inputs = ["x", "z"]
    assert brick.second_apply.all == ["x", "z", "y"]
    assert brick.delegated_apply.inputs == ["x", "z"]
    assert ToyBrick().second_apply.inputs == ["x"]  # the other brick is unchanged
    ToyBrick.delegated_apply.inputs = ["w"]
    try:
        other = ToyBrick()
        assert other.delegated_apply.inputs == ["w"]
        other.delegated_apply.inputs = ["x"]
        assert other.delegated_apply.inputs == ["x"] and ToyBrick.delegated_apply.inputs == ["w"]
    finally:
        del ToyBrick.delegated_apply.inputs
    with pytest.raises(AttributeError):
        ToyBrick.second_apply.all = "w"


def test_application_through_the_class_tags_and_pickles():
    brick = ToyBrick(0)
    assert ToyBrick.apply(brick, [0]) == [0, 1]
    x, y = tensor.vector("x"), tensor.vector("y")
    u, v = brick.apply(x, y)
    assert u.tag.application_call.brick is brick and u.name == "toybrick_apply_output_0"
    assert pickle.loads(pickle.dumps(Linear.apply)) is Linear.apply
    linear = Linear(3, 2)
    out = Linear.apply(linear, tensor.matrix("m"))
    assert out.tag.brick is linear and out.name == "linear_apply_output"
    assert isinstance(linear.apply(tensor.matrix("m"), as_list=True), list)
    assert list(linear.apply(tensor.matrix("m"), as_dict=True)) == ["output"]


def test_lazy_arguments_listed_and_given_twice():
    assert Linear().allocation_args == ["input_dim", "output_dim"]
    assert ToyBrick().config is None and ToyBrick(config="c").config == "c"
    with pytest.raises(ValueError, match="config"):
        ToyBrick("config", config="config")


class BrokenPush(Brick):
    def _push_allocation_config(self):
        raise AttributeError("broken")


class Parent(Brick):
    def __init__(self, child, **kwargs):
        super().__init__(children=[child], **kwargs)


def test_parameters_after_allocate_and_failed_push_keeps_flags():
    linear = Linear(3, 2)
    assert not hasattr(linear, "parameters")
    linear.allocate()
    assert [p.name for p in linear.parameters] == ["W", "b"]
    linear.W.set_value(np.ones((3, 2), dtype=linear.W.dtype))
    linear.allocate()  # allocating again resets the parameters, as in Blocks
    assert not np.any(linear.W.get_value())
    broken = Parent(BrokenPush())
    for _ in range(2):
        with pytest.raises(AttributeError):
            broken.allocate()
        assert not broken.allocation_config_pushed and not broken.allocated


def test_linear_norm_auxiliary_variables():
    linear = Linear(3, 2, weights_init=Constant(2), biases_init=Constant(1))
    x = tensor.matrix("x")
    cg = ComputationGraph(linear.apply(x))
    linear.initialize()
    norms = {v.name: v for v in cg.auxiliary_variables}
    assert set(norms) == {"W_norm", "b_norm"}
    values = function([], [norms["W_norm"], norms["b_norm"]])()
    np.testing.assert_allclose(values, [np.sqrt(6 * 4), np.sqrt(2)], rtol=RTOL)


def test_default_seeds_differ_between_bricks_and_are_fixed():
    first, second = Linear(), Linear()
    assert first.seed != second.seed
    assert Linear(seed=1).rng.random() == np.random.default_rng(1).random()
    script = ("from brickwork.bricks import MLP, Tanh; from brickwork.initialization import IsotropicGaussian;"
              "m = MLP([Tanh(), None], [3, 4, 2], weights_init=IsotropicGaussian(1.0), use_bias=False);"
              "m.initialize(); print(m.linear_transformations[1].W.get_value().sum())")
    import os
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    runs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                           check=True).stdout for _ in range(2)}
    assert len(runs) == 1  # the same script gives the same model on every run


def test_brick_trees_pickle_with_parameters():
    from brickwork.bricks.recurrent import LSTM, RecurrentStack
    from brickwork.initialization import IsotropicGaussian
    mlp = MLP([Tanh(), None], [3, 4, 2], weights_init=IsotropicGaussian(0.1), biases_init=Constant(0.5))
    mlp.initialize()
    stack = RecurrentStack([LSTM(dim=3, name="l0"), LSTM(dim=3, name="l1")],
                           weights_init=IsotropicGaussian(0.1), biases_init=Constant(0))
    stack.initialize()
    for brick in (mlp, Sequence([mlp.apply, Tanh().apply]), stack):
        copy = pickle.loads(pickle.dumps(brick))
        before = [p.get_value() for p in ComputationGraph(_output(brick)).parameters]
        after = [p.get_value() for p in ComputationGraph(_output(copy)).parameters]
        assert len(before) == len(after) > 0
        for a, b in zip(before, after):
            np.testing.assert_array_equal(a, b)
    bound = pickle.loads(pickle.dumps(mlp.apply))
    x = tensor.matrix("x")
    xv = np.ones((1, 3), dtype="float32")
    np.testing.assert_allclose(function([x], bound(x))(xv), function([x], mlp.apply(x))(xv), rtol=RTOL)


def _output(brick):
    if isinstance(brick, Sequence) and not isinstance(brick, MLP):
        return brick.apply(tensor.matrix("x"))
    if isinstance(brick, MLP):
        return brick.apply(tensor.matrix("x"))
    return brick.apply(inputs=tensor.tensor3("x"))[0]
