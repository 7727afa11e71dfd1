"""Errors at run time name the brick: its path, the application, the input, and the
expected and given sizes, inside scans too; every node built in an application carries it."""

import numpy as np
import pytest

from brickwork import function, grad, initialization, tensor
from brickwork.bricks import MLP, Linear, Tanh
from brickwork.bricks.recurrent import LSTM, SimpleRecurrent
from brickwork.errors import ExecutionError
from brickwork.models import Regressor
from brickwork.tensor.walk import toposort


def test_predict_with_too_many_features_names_the_layer():
    model = Regressor(layers=[3, 5, 1])
    with pytest.raises(ExecutionError) as caught:
        model.predict(np.zeros((7, 4), dtype="float32"))
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert message.startswith("/") and ".apply: input 'input_' has 4 features" in message
    assert "(an array of shape (7, 4)), but 3 are expected" in message


def test_a_recurrent_brick_fed_the_wrong_width_is_named_from_inside_the_scan():
    x = tensor.tensor3("x")  # sizes unknown until the call
    rnn = SimpleRecurrent(3, Tanh(), weights_init=initialization.Constant(0.1))
    rnn.initialize()
    with pytest.raises(ExecutionError, match=r"^/simplerecurrent\.apply: input 'inputs' has 5 features "
                                             r"\(an array of shape \(4, 2, 5\)\), but 3 are expected; Scan"):
        function([x], rnn.apply(x))(np.zeros((4, 2, 5), dtype="float32"))


def test_the_gradient_of_an_lstm_fed_the_wrong_width_names_it():
    x = tensor.tensor3("x")
    lstm = LSTM(3, weights_init=initialization.Constant(0.1))
    lstm.initialize()
    states = lstm.apply(x)[0]
    train = function([x], grad(states.sum(), lstm.W_state))
    with pytest.raises(ExecutionError, match=r"^/lstm\.apply: input 'inputs' has 10 features .*but 12 are expected"):
        train(np.zeros((4, 2, 10), dtype="float32"))


def test_a_failure_outside_any_application_names_the_op_and_shapes():
    x, z = tensor.matrix("x"), tensor.matrix("z")
    linear = Linear(3, 2, weights_init=initialization.Constant(1), biases_init=initialization.Constant(0))
    linear.initialize()
    bad = function([x, z], linear.apply(x) @ z)
    with pytest.raises(ExecutionError, match=r"^MatMul\(\) failed on inputs of shapes \(2, 2\), \(5, 1\)"):
        bad(np.zeros((2, 3), dtype="float32"), np.zeros((5, 1), dtype="float32"))


def test_nodes_built_in_an_application_carry_its_brick_and_name():
    x = tensor.matrix("x")
    mlp = MLP([Tanh(), Tanh()], [3, 4, 2], weights_init=initialization.Constant(0.1),
              biases_init=initialization.Constant(0))
    y = mlp.apply(x)
    sites = {node.site.path for node in toposort([y]) if node.site is not None}
    assert {"/mlp.apply", "/mlp/linear_0.apply", "/mlp/linear_1.apply"} <= sites
    assert any(path.startswith("/mlp/tanh") for path in sites)
    gradient = grad(y.sum(), mlp.linear_transformations[0].W)
    backward = [node for node in toposort([gradient]) if node not in set(toposort([y]))]
    assert backward and all(node.site is not None for node in backward if type(node.op).__name__ == "MatMul")
    rnn = SimpleRecurrent(3, Tanh())
    h = rnn.apply(tensor.tensor3("s"))
    scan_node = h.owner.inputs[0].owner if h.owner.op.__class__.__name__ != "Scan" else h.owner
    step_nodes = toposort(scan_node.op.step_outputs)
    assert step_nodes and {node.site.path for node in step_nodes} == {"/simplerecurrent.apply",
                                                                      "/simplerecurrent/tanh.apply"}
