"""Blocks parity of the graph tools, ``brickwork.select`` and ``Model``: Blocks' tests' cases."""

import copy
import warnings

import numpy as np
import pytest

from brickwork import function, shared, tensor
from brickwork.bricks import MLP, Brick, Linear, Tanh
from brickwork.bricks.recurrent import SimpleRecurrent
from brickwork.errors import BrickworkError
from brickwork.graph import ComputationGraph, VariableFilter, apply_dropout, collect_parameters, grad
from brickwork.initialization import Constant, IsotropicGaussian
from brickwork.model import Model
from brickwork.roles import COLLECTED, COLLECTOR, OUTPUT, PARAMETER, WEIGHT, add_role
from brickwork.select import Path, Selector


def mlp_graph():
    mlp = MLP([Tanh(), None], [3, 4, 2], weights_init=IsotropicGaussian(0.5), biases_init=Constant(0.1))
    mlp.initialize()
    x = tensor.matrix("x")
    return mlp, x, ComputationGraph(mlp.apply(x))


def test_graph_is_iterable_and_filters_by_unbound_application():
    mlp, x, cg = mlp_graph()
    assert list(cg) == cg.variables
    assert VariableFilter(roles=[WEIGHT])(cg) == VariableFilter(roles=[WEIGHT])(cg.variables)
    by_class = VariableFilter(applications=[Linear.apply], roles=[OUTPUT])(cg)
    assert [v.name for v in by_class] == ["linear_0_apply_output", "linear_1_apply_output"]
    by_brick = VariableFilter(applications=[mlp.linear_transformations[1].apply], roles=[OUTPUT])(cg)
    assert [v.name for v in by_brick] == ["linear_1_apply_output"]
    assert {v.tag.name for v in VariableFilter(name="output", bricks=[Linear])(cg)} == {"output"}
    assert VariableFilter(theano_name="linear_0_apply_output")(cg)[0].tag.name == "output"


def test_scans_and_scan_variables():
    rnn = SimpleRecurrent(dim=3, activation=Tanh(), weights_init=IsotropicGaussian(0.1))
    rnn.initialize()
    x = tensor.tensor3("x")
    cg = ComputationGraph(rnn.apply(x))
    assert len(cg.scans) == 1
    assert any(v is rnn.parameter("W") for v in cg.scan_variables)
    assert mlp_graph()[2].scans == []


def test_replace_with_a_dict_or_pairs_and_warn_on_strangers():
    x = tensor.vector("x")
    y = x + 2
    z = y + 3
    cg = ComputationGraph([z])
    for replacements in ({y: x * 2}, [(y, x * 2)]):
        new = cg.replace(replacements)
        np.testing.assert_allclose(function([x], new.outputs[0])(np.array([1.0], dtype="float32")), [5.0])
    stranger = tensor.vector("stranger")
    with pytest.warns(UserWarning, match="stranger"):
        same = cg.replace({stranger: x})
    np.testing.assert_allclose(function([x], same.outputs[0])(np.array([1.0], dtype="float32")), [6.0])


def test_get_snapshot_evaluates_every_variable_with_a_role():
    mlp, x, cg = mlp_graph()
    xv = np.ones((2, 3), dtype="float32")
    snapshot = cg.get_snapshot({"x": xv})
    outputs = VariableFilter(roles=[OUTPUT], applications=[mlp.apply])(cg)
    assert all(not isinstance(v, type(mlp.linear_transformations[0].W)) for v in snapshot)
    np.testing.assert_allclose(snapshot[outputs[0]], function([x], mlp.apply(x))(xv), rtol=1e-6)


def test_apply_dropout_custom_divisor():
    x = tensor.vector("x")
    y = x * 1.0
    cg = ComputationGraph([y])
    for divisor, scale in ((None, 2.0), (4.0, 0.25)):
        dropped = apply_dropout(cg, [y], 0.5, seed=3, custom_divisor=divisor)
        values = function([x], dropped.outputs[0])(np.ones(1000, dtype="float32"))
        assert set(np.unique(values)) <= {0.0, scale} and 300 < (values > 0).sum() < 700


def test_collect_parameters_into_one_vector():
    mlp, x, cg = mlp_graph()
    params = cg.parameters
    collected = collect_parameters(cg, params)
    vectors = VariableFilter(roles=[COLLECTOR])(collected)
    assert len(vectors) == 1 and vectors[0].name == "collected_parameters"
    assert len(collected.parameters) == 1
    pieces = VariableFilter(roles=[COLLECTED])(collected)
    assert len(pieces) == len(params)
    assert all(any(p.replacement_of is q for p in pieces) for q in params)
    xv = np.random.default_rng(0).random((2, 3)).astype("float32")
    np.testing.assert_allclose(function([x], collected.outputs[0])(xv), function([x], cg.outputs[0])(xv), rtol=1e-6)
    hessian_row = grad(grad(collected.outputs[0].sum(), vectors[0])[0], vectors[0])
    assert hessian_row.ndim == 1


class Top(Brick):
    def __init__(self, children, **kwargs):
        super().__init__(children=children, **kwargs)
        self.parameters = []


class Bottom(Brick):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.parameters = [shared(np.float32(0), name="V"), shared(np.float32(0), name="W")]


def test_path_parse_and_equality():
    assert Path.parse("/brick").nodes == (Path.BrickName("brick"),)
    assert Path.parse("/brick.W").nodes == (Path.BrickName("brick"), Path.ParameterName("W"))
    path = Path.parse("/b1/b2")
    assert copy.deepcopy(path) == path and hash(copy.deepcopy(path)) == hash(path)
    assert path != Path.parse("/b1.W") and str(path) == "/b1/b2"
    with pytest.raises(BrickworkError):
        Path.parse("brick")


def test_selector_select_and_get_parameters():
    b1, b2, b3 = Bottom(name="b1"), Bottom(name="b2"), Bottom(name="b3")
    t1, t2 = Top([b1, b2], name="t1"), Top([b2, b3], name="t2")
    assert Selector([t1]).select("/t1/b1").bricks == [b1]
    assert Selector([t1]).select("/t1").bricks == [t1]
    both = Selector([t1, t2])
    assert both.select("/t2/b2").bricks == [b2]
    assert both.select("/t2/b2.V")[0] is b2.parameters[0]
    names = list(Selector([t1]).get_parameters())
    assert names == ["/t1/b1.V", "/t1/b1.W", "/t1/b2.V", "/t1/b2.W"]
    assert list(Selector(t1).get_parameters("W")) == ["/t1/b1.W", "/t1/b2.W"]
    with pytest.raises(ValueError):
        Selector([Top([Bottom(name="same"), Bottom(name="same")], name="top")]).get_parameters()


def test_model_top_bricks_brickless_parameters_and_name_collisions():
    mlp, x, cg = mlp_graph()
    model = Model(cg.outputs)
    assert model.get_top_bricks() == [mlp]
    assert sorted(model.get_parameter_dict()) == sorted(Selector(mlp).get_parameters())
    v = shared(np.zeros((3, 3), dtype="float32"), name="V")
    add_role(v, PARAMETER)
    assert list(Model(x @ v).get_parameter_dict().items()) == [("V", v)]
    first, second = Linear(3, 2, name="twin"), Linear(3, 2, name="twin")
    with pytest.raises(ValueError, match="twin"):
        Model(first.apply(x) + second.apply(x))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Model(mlp.apply(x))


def test_variables_in_blocks_order_with_auxiliaries_last():
    x = tensor.matrix("x")
    first, second = Linear(4, 3, name="first"), Linear(3, 2, name="second")
    cg = ComputationGraph(second.apply(first.apply(x)))
    W1, W2 = VariableFilter(roles=[WEIGHT])(cg.variables)
    assert W1 is first.W and W2 is second.W
    norms = [v for v in cg.variables if v.name in ("W_norm", "b_norm")]
    assert len(norms) == 4 and cg.variables.index(norms[0]) > cg.variables.index(cg.outputs[0])
