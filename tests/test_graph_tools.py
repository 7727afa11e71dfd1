"""ComputationGraph, VariableFilter, transforms, Model and parameter files."""

import os

import networkx as nx
import numpy as np
import pytest

from brickwork import function, initialization, tensor
from brickwork.bricks import MLP, Linear, Tanh
from brickwork.errors import BrickError
from brickwork.graph import ComputationGraph, VariableFilter, apply_dropout, apply_noise
from brickwork.model import Model
from brickwork.roles import BIAS, INPUT, OUTPUT, PARAMETER, WEIGHT
from brickwork.serialization import load_parameters, load_parameters_into, save_parameters


def make_mlp(seed=1):
    mlp = MLP([Tanh(), None], [3, 4, 2], weights_init=initialization.IsotropicGaussian(0.1),
              biases_init=initialization.Constant(0.5), seed=seed)
    mlp.initialize()
    return mlp


def test_graph_lists_inputs_parameters_and_a_dag():
    mlp = make_mlp()
    x = tensor.matrix("x")
    y = mlp.apply(x)
    graph = ComputationGraph(y)
    assert graph.inputs == [x]
    assert {p.name for p in graph.parameters} == {"W", "b"} and len(graph.parameters) == 4
    order = {id(v): i for i, v in enumerate(graph.variables)}
    for v in graph.variables:
        if v.owner is not None:
            assert all(order[id(i)] < order[id(v)] for i in v.owner.inputs)
    assert isinstance(graph.dag, nx.DiGraph) and nx.is_directed_acyclic_graph(graph.dag)
    dot = graph.to_dot()
    assert dot.startswith("digraph") and "MatMul" in dot and dot.count("->") == graph.dag.number_of_edges()


def test_variable_filter_by_role_brick_application_and_name():
    mlp = make_mlp()
    x = tensor.matrix("x")
    graph = ComputationGraph(mlp.apply(x))
    weights = VariableFilter(roles=[WEIGHT])(graph.variables)
    assert len(weights) == 2 and all(w.name == "W" for w in weights)
    assert len(VariableFilter(roles=[PARAMETER])(graph.variables)) == 4
    assert len(VariableFilter(roles=[BIAS], bricks=[mlp.linear_transformations[0]])(graph.variables)) == 1
    assert len(VariableFilter(bricks=[Linear], roles=[OUTPUT])(graph.variables)) == 2
    second = mlp.linear_transformations[1].apply
    outputs = VariableFilter(applications=[second], roles=[OUTPUT])(graph.variables)
    assert [v.name for v in outputs] == ["linear_1_apply_output"]
    assert VariableFilter(name_regex="linear_0_apply_in")(graph.variables)[0].name == "linear_0_apply_input_"
    assert all(v.name == "W" for v in VariableFilter(name="W")(graph.variables))
    assert VariableFilter(roles=[INPUT, WEIGHT], each_role=True)(graph.variables) == []


def test_replace_dropout_and_noise_return_new_graphs():
    mlp = make_mlp()
    x = tensor.matrix("x")
    graph = ComputationGraph(mlp.apply(x))
    first = mlp.linear_transformations[0].apply
    hidden = VariableFilter(applications=[first], roles=[OUTPUT])(graph.variables)
    xv = np.ones((200, 3), dtype="float32")
    clean = function([x], graph.outputs[0])(xv)
    dropped = apply_dropout(graph, hidden, 0.5, seed=2)
    noisy = apply_noise(graph, hidden, 0.1, seed=2)
    assert dropped.outputs[0] is not graph.outputs[0]
    assert not np.allclose(function([x], dropped.outputs[0])(xv), clean)
    assert not np.allclose(function([x], noisy.outputs[0])(xv), clean)
    np.testing.assert_allclose(function([x], graph.outputs[0])(xv), clean)  # the original is unchanged
    doubled = graph.replace({x: 2 * x})
    np.testing.assert_allclose(function([x], doubled.outputs[0])(xv / 2), clean, rtol=1e-6)


def test_model_parameter_dict_and_values():
    mlp = make_mlp()
    model = Model(mlp.apply(tensor.matrix("x")).sum())
    names = sorted(model.get_parameter_dict())
    assert names == ["/mlp/linear_0.W", "/mlp/linear_0.b", "/mlp/linear_1.W", "/mlp/linear_1.b"]
    values = model.get_parameter_values()
    values["/mlp/linear_0.b"] = values["/mlp/linear_0.b"] + 1
    model.set_parameter_values(values)
    assert np.all(mlp.linear_transformations[0].b.get_value() == 1.5)


def test_save_and_load_parameters(tmp_path):
    path = str(tmp_path / "params.npz")
    mlp = make_mlp(seed=1)
    save_parameters(path, mlp)
    loaded = load_parameters(path)
    np.testing.assert_array_equal(loaded["/mlp/linear_0.W"], mlp.linear_transformations[0].W.get_value())
    other = make_mlp(seed=2)
    load_parameters_into(other, path)
    for a, b in zip(mlp.linear_transformations, other.linear_transformations):
        np.testing.assert_array_equal(a.W.get_value(), b.W.get_value())


def test_loading_reports_every_mismatch_and_changes_nothing(tmp_path):
    path = str(tmp_path / "params.npz")
    save_parameters(path, MLP([Tanh(), None], [3, 5, 2], weights_init=initialization.Constant(1),
                              biases_init=initialization.Constant(0)))
    target = make_mlp()
    before = target.linear_transformations[1].b.get_value()
    with pytest.raises(BrickError) as error:
        load_parameters_into(target, path)
    message = str(error.value)
    assert "'/mlp/linear_0.W' has shape (3, 5), expected (3, 4)" in message
    assert "'/mlp/linear_1.W' has shape (5, 2), expected (4, 2)" in message
    np.testing.assert_array_equal(target.linear_transformations[1].b.get_value(), before)


def test_failed_write_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = str(tmp_path / "params.npz")
    mlp = make_mlp()
    save_parameters(path, mlp)
    original = open(path, "rb").read()

    def broken_savez(file, **arrays):
        file.write(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        save_parameters(path, make_mlp(seed=5))
    assert open(path, "rb").read() == original
    assert os.listdir(tmp_path) == ["params.npz"]
