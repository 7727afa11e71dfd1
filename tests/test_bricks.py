"""Feed-forward bricks: NumPy references, gradients, life cycle and errors."""

import numpy as np
import pytest

from brickwork import function, initialization, tensor
from brickwork.bricks import (
    MLP,
    Bias,
    BinaryCrossEntropy,
    Brick,
    CategoricalCrossEntropy,
    Dropout,
    Fork,
    Identity,
    LayerNormalization,
    Linear,
    Logistic,
    LookupTable,
    MisclassificationRate,
    Rectifier,
    Sequence,
    Softmax,
    Softplus,
    SquaredError,
    Tanh,
    application,
    lazy,
)
from brickwork.errors import BrickError, InputError
from brickwork.tensor.walk import clone_replace
from brickwork.testing import check_grads

# float64 for gradient checks: central differences are then accurate to
# ~1e-9, inside check_grads' rtol=1e-5 / atol=1e-6. Forward comparisons with
# NumPy use rtol=1e-10: the same float64 arithmetic up to summation order.
RTOL = 1e-10
rng = np.random.default_rng(7)


pytestmark = pytest.mark.usefixtures("float64")


def init(brick, std=0.5):
    brick.weights_init = initialization.IsotropicGaussian(std)
    brick.biases_init = initialization.IsotropicGaussian(std)
    brick.initialize()
    return brick


def params_of(brick):
    found = list(brick.parameters)
    for child in brick.children:
        found.extend(params_of(child))
    return found


def grads_ok(brick, apply, *inputs, order=1):
    params = params_of(brick)

    def f(*args):
        out = apply(*args[:len(inputs)])
        return clone_replace([out], dict(zip(params, args[len(inputs):])))[0]
    check_grads(f, list(inputs) + [p.get_value() for p in params], order=order)


def test_linear_matches_numpy_on_any_rank_and_differentiates():
    linear = init(Linear(input_dim=3, output_dim=2))
    x = tensor.tensor3("x")
    xv = rng.standard_normal((4, 5, 3))
    out = function([x], linear.apply(x))(xv)
    np.testing.assert_allclose(out, xv @ linear.W.get_value() + linear.b.get_value(), rtol=RTOL)
    grads_ok(linear, linear.apply, rng.standard_normal((2, 3)))
    assert repr(linear) == "Linear(3 => 2)"
    assert linear.get_dims(["input_", "output"]) == [3, 2]


@pytest.mark.parametrize("brick, reference", [
    (Identity(), lambda x: x), (Tanh(), np.tanh), (Logistic(), lambda x: 1 / (1 + np.exp(-x))),
    (Rectifier(), lambda x: np.maximum(x, 0)), (Softplus(), lambda x: np.log1p(np.exp(x))),
])
def test_activations_match_numpy_and_differentiate(brick, reference):
    x = tensor.matrix("x")
    xv = rng.standard_normal((3, 4)) + 0.05  # keep away from the rectifier's kink at 0
    np.testing.assert_allclose(function([x], brick.apply(x))(xv), reference(xv), rtol=RTOL)
    check_grads(brick.apply, [xv], order=2)


def test_softmax_brick_and_cross_entropy_for_labels_and_one_hot():
    softmax = Softmax()
    x, labels, one_hot = tensor.matrix("x"), tensor.lvector("y"), tensor.matrix("t")
    xv, yv = 100 * rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    log_p = xv - xv.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    f = function([x, labels, one_hot], [softmax.apply(x), softmax.log_probabilities(x),
                                        softmax.categorical_cross_entropy(labels, x),
                                        softmax.categorical_cross_entropy(one_hot, x)])
    probs, logs, ce_labels, ce_one_hot = f(xv, yv, np.eye(3)[yv])
    np.testing.assert_allclose(probs, np.exp(log_p), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(logs, log_p, rtol=RTOL)
    np.testing.assert_allclose(ce_labels, -log_p[np.arange(4), yv], rtol=RTOL)
    np.testing.assert_allclose(ce_one_hot, ce_labels, rtol=RTOL)
    check_grads(lambda s: softmax.categorical_cross_entropy(tensor.constant(yv), s),
                [rng.standard_normal((4, 3))], order=2)


def test_mlp_matches_numpy_names_children_and_differentiates():
    mlp = init(MLP([Tanh(), None], [3, 4, 2]))
    assert [c.name for c in mlp.children] == ["linear_0", "tanh", "linear_1"]  # interleaved, as Blocks
    assert mlp.linear_transformations[1].get_hierarchical_name() == "/mlp/linear_1"
    x = tensor.matrix("x")
    xv = rng.standard_normal((5, 3))
    l0, l1 = mlp.linear_transformations
    expected = np.tanh(xv @ l0.W.get_value() + l0.b.get_value()) @ l1.W.get_value() + l1.b.get_value()
    np.testing.assert_allclose(function([x], mlp.apply(x))(xv), expected, rtol=RTOL)
    grads_ok(mlp, mlp.apply, xv)


def test_mlp_wrong_feature_size_names_path_application_and_sizes():
    mlp = init(MLP([Tanh(), None], [4, 3, 2]))
    hidden = tensor.matrix("h", shape=(None, 5))
    with pytest.raises(BrickError, match=r"^/mlp/linear_1.apply: input 'input_' has 5 features, "
                                         r"but input_dim is 3$"):
        mlp.linear_transformations[1].apply(hidden)


def test_sequence_bias_fork_lookup_layernorm():
    bias, linear = init(Bias(dim=3)), init(Linear(3, 3))
    seq = Sequence([bias, linear.apply, Tanh()])
    x = tensor.matrix("x")
    xv = rng.standard_normal((2, 3))
    expected = np.tanh((xv + bias.b.get_value()) @ linear.W.get_value() + linear.b.get_value())
    np.testing.assert_allclose(function([x], seq.apply(x))(xv), expected, rtol=RTOL)

    fork = init(Fork(output_names=["a", "b"], input_dim=3, output_dims=[2, 4]))
    a, b = function([x], fork.apply(x))(xv)
    assert a.shape == (2, 2) and b.shape == (2, 4) and fork.apply.outputs == ["a", "b"]
    assert [c.name for c in fork.children] == ["fork_a", "fork_b"]

    table = init(LookupTable(length=5, dim=2))
    idx = tensor.lmatrix("i")
    iv = np.array([[0, 4], [3, 3]])
    np.testing.assert_array_equal(function([idx], table.apply(idx))(iv), table.W.get_value()[iv])
    grads_ok(table, lambda: table.apply(tensor.constant(iv)))

    norm = init(LayerNormalization(dim=3))
    out = function([x], norm.apply(x))(xv)
    centred = xv - xv.mean(1, keepdims=True)
    np.testing.assert_allclose(out, centred / np.sqrt(centred.var(1, keepdims=True) + 1e-5), rtol=1e-9)
    grads_ok(norm, norm.apply, xv)


def test_costs_match_numpy_and_differentiate():
    y, p = tensor.matrix("y"), tensor.matrix("p")
    yv, pv = rng.uniform(size=(4, 3)), rng.uniform(0.1, 0.9, size=(4, 3))
    se = function([y, p], SquaredError().apply(y, p))(yv, pv)
    np.testing.assert_allclose(se, ((yv - pv) ** 2).sum(1).mean(), rtol=RTOL)
    bce = function([y, p], BinaryCrossEntropy().apply(y, p))(yv, pv)
    np.testing.assert_allclose(bce, -(yv * np.log(pv) + (1 - yv) * np.log(1 - pv)).sum(1).mean(), rtol=RTOL)
    logits = function([y, p], BinaryCrossEntropy(from_logits=True).apply(y, p))(yv, 1e4 * pv)
    assert np.isfinite(logits)
    labels = tensor.lvector("l")
    lv = np.array([2, 0, 1, 1])
    probs = pv / pv.sum(1, keepdims=True)
    cce = function([labels, p], CategoricalCrossEntropy().apply(labels, p))(lv, probs)
    np.testing.assert_allclose(cce, -np.log(probs[np.arange(4), lv]).mean(), rtol=RTOL)
    rate = function([labels, p], MisclassificationRate().apply(labels, p))(lv, probs)
    assert rate == np.mean(probs.argmax(1) != lv)
    check_grads(lambda a, b: SquaredError().apply(a, b), [yv, pv], order=2)
    check_grads(lambda b: BinaryCrossEntropy(from_logits=True).apply(tensor.constant(yv), b), [pv], order=2)


def test_dropout_is_seeded_and_identity_at_inference():
    x = tensor.matrix("x")
    xv = np.ones((50, 40))
    first = function([x], Dropout(0.5, seed=3).apply(x))(xv)
    again = function([x], Dropout(0.5, seed=3).apply(x))(xv)
    np.testing.assert_array_equal(first, again)
    assert set(np.unique(first)) == {0.0, 2.0} and 0.4 < (first == 0).mean() < 0.6
    np.testing.assert_array_equal(function([x], Dropout(0.5, training=False).apply(x))(xv), xv)


def test_lazy_arguments_and_missing_ones():
    linear = Linear(output_dim=2)
    with pytest.raises(BrickError, match="/linear: cannot allocate, 'input_dim' is not set"):
        linear.allocate()
    linear.input_dim = 3
    linear.allocate()
    assert linear.W.get_value().shape == (3, 2)
    with pytest.raises(BrickError, match="weights_init"):
        linear.initialize()


def test_uninitialized_parameters_raise_when_evaluated():
    linear = Linear(3, 2)
    x = tensor.matrix("x")
    f = function([x], linear.apply(x))
    with pytest.raises(InputError, match="/linear.W was allocated but never initialized"):
        f(np.ones((1, 3)))


def test_explicit_child_initialization_is_kept():
    child = Linear(3, 1, weights_init=initialization.Constant(7))
    other = Linear(1, 1)
    seq = Sequence([child, other], weights_init=initialization.Constant(1),
                   biases_init=initialization.Constant(0))
    seq.initialize()
    assert np.all(child.W.get_value() == 7) and np.all(other.W.get_value() == 1)
    assert np.all(child.b.get_value() == 0)


def test_same_seed_same_parameters():
    def build(seed):
        mlp = MLP([Tanh(), None], [3, 4, 2], weights_init=initialization.GlorotUniform(),
                  biases_init=initialization.Constant(0), seed=seed)
        mlp.initialize()
        return [p.get_value() for p in params_of(mlp)]
    for a, b in zip(build(11), build(11)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(build(11)[0], build(12)[0])


def test_custom_brick_by_subclassing_with_auxiliary_variables_and_properties():
    class Doubler(Brick):
        @application(inputs=["x"], outputs=["doubled"])
        def apply(self, x, application_call):
            application_call.add_auxiliary_variable(x.mean(), name="mean_of_x")
            return 2 * x

        @application
        def split(self, x):
            return [x[:, :1], x[:, 1:]]

        @split.property("outputs")
        def split_outputs(self):
            return ["left", "right"]

    brick = Doubler()
    x = tensor.matrix("x")
    y = brick.apply(x)
    assert y.name == "doubler_apply_doubled" and brick.apply.inputs == ["x"]
    from brickwork.graph import ComputationGraph
    graph = ComputationGraph(y)
    # Blocks names an auxiliary variable <brick>_<application>_<name>; tag.name keeps the short name
    assert [v.name for v in graph.auxiliary_variables] == ["doubler_apply_mean_of_x"]
    assert [v.tag.name for v in graph.auxiliary_variables] == ["mean_of_x"]
    assert brick.split.outputs == ["left", "right"]
    assert [v.name for v in brick.split(x)] == ["doubler_split_left", "doubler_split_right"]


def test_lazy_decorator_on_custom_brick():
    class Scaled(Brick):
        @lazy(allocation=["factor"])
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

    with pytest.raises(BrickError, match="'factor' is not set"):
        Scaled().allocate()
    Scaled(factor=2).allocate()
