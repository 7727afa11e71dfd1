"""Bad input is an error that says what is wrong, never a silent answer."""

import numpy as np
import pytest

from brickwork import function, initialization, tensor
from brickwork.algorithms import (
    AdaDelta,
    AdaGrad,
    Adam,
    BasicMomentum,
    CompositeRule,
    GradientDescent,
    Momentum,
    Restrict,
    RMSProp,
    Scale,
    StepClipping,
    VariableClipping,
)
from brickwork.bricks import MLP, LookupTable, Softmax, Tanh
from brickwork.bricks.cost import CategoricalCrossEntropy
from brickwork.errors import BrickworkError, ExecutionError, TrainingError
from brickwork.extensions import DataStreamMonitoring, FinishAfter, TrackTheBest
from brickwork.main_loop import MainLoop
from brickwork.models import Classifier, Regressor


def _regression():
    mlp = MLP([Tanh(), None], [2, 4, 1], weights_init=initialization.IsotropicGaussian(0.3),
              biases_init=initialization.Constant(0), seed=1)
    mlp.initialize()
    x, y = tensor.matrix("x"), tensor.matrix("y")
    cost = ((mlp.apply(x) - y) ** 2).mean()
    cost.name = "cost"
    batch = {"x": np.ones((3, 2), dtype="float32"), "y": np.zeros((3, 1), dtype="float32")}
    return cost, batch


def test_an_empty_validation_set_is_an_error_not_a_loss_of_zero():
    cost, batch = _regression()
    loop = MainLoop(GradientDescent(cost=cost), [batch], extensions=[
        DataStreamMonitoring([cost], [], prefix="valid"), TrackTheBest("valid_cost"),
        FinishAfter(after_n_epochs=2)])
    with pytest.raises(TrainingError, match=r"prefix 'valid'.*gave no batches.*\['cost'\]"):
        loop.run()
    assert "valid_cost" not in loop.log.current_row


def test_a_quick_start_model_with_an_empty_validation_split_is_an_error():
    x = np.random.default_rng(0).standard_normal((20, 2)).astype("float32")
    with pytest.raises(TrainingError, match="gave no batches"):
        Regressor([2, 1]).train([x, x[:, :1]], valid=[x[:0], x[:0, :1]], max_updates=3, verbose=False)


@pytest.mark.parametrize("ids, bad, position", [([[0, -1]], -1, (0, 1)), ([[2, 5], [0, 1]], 5, (0, 1))])
def test_lookup_ids_out_of_range_are_an_error_naming_the_brick(ids, bad, position):
    table = LookupTable(5, 3, name="embed", weights_init=initialization.Constant(1))
    table.initialize()
    indices = tensor.lmatrix("indices")
    lookup = function([indices], table.apply(indices))
    assert lookup(np.array([[0, 4]])).shape == (1, 2, 3)
    expected = rf"/embed.apply: input 'indices' has id {bad} at position \({position[0]}, {position[1]}\), " \
               r"but ids must be in \[0, 5\)"
    with pytest.raises(ExecutionError, match=expected):
        lookup(np.array(ids))


def _labels_costs():
    y, scores = tensor.lvector("y"), tensor.matrix("scores")
    probabilities = tensor.softmax(scores)
    return y, scores, {
        "CategoricalCrossEntropy": (CategoricalCrossEntropy(name="xent").apply(y, probabilities),
                                    "/xent.apply: input 'y'"),
        "CategoricalCrossEntropy(from_logits=True)": (
            CategoricalCrossEntropy(from_logits=True, name="xent").apply(y, scores), "/xent.apply: input 'y'"),
        "Softmax.categorical_cross_entropy": (
            Softmax(name="softmax").categorical_cross_entropy(y, scores).mean(),
            "/softmax.categorical_cross_entropy: input 'y'"),
    }


@pytest.mark.parametrize("cost_kind", list(_labels_costs()[2]))
@pytest.mark.parametrize("label", [-1, 3])
def test_class_labels_outside_the_classes_are_an_error(cost_kind, label):
    y, scores, costs = _labels_costs()
    cost, where = costs[cost_kind]
    evaluate = function([y, scores], cost)
    logits = np.zeros((2, 3), dtype="float32")
    np.testing.assert_allclose(evaluate(np.array([0, 2]), logits), np.log(3), rtol=1e-6)
    with pytest.raises(ExecutionError, match=rf"{where} has class label {label} at position \(1,\), "
                                             r"but class labels must be in \[0, 3\)"):
        evaluate(np.array([0, label]), logits)


def test_a_classifier_trained_on_a_label_it_cannot_predict_fails_and_changes_nothing():
    net = Classifier([2, 3], seed=1)
    before = [p.get_value() for p in net.parameters]
    x = np.ones((4, 2), dtype="float32")
    with pytest.raises(ExecutionError, match=r"Classifier: target 'y' has class label 3 at position \(2,\)"):
        net.train([x, np.array([0, 1, 3, 2])], max_updates=1, batch_size=4, verbose=False)
    for old, param in zip(before, net.parameters):
        np.testing.assert_array_equal(param.get_value(), old)


BAD_SPECS = [
    ([("lstm", 4), 1], r"layer 0: unknown spec \('lstm', 4\) \(a layer cannot come first\); "
                       r"expected the input width"),
    ([3, 2.5, 1], r"layer 1: unknown spec 2.5 .*expected a positive int \(a dense layer\), \('lstm', units\)"),
    ([3, "lstm", 1], r"layer 1: unknown spec 'lstm' \(say \('lstm', units\)\)"),
    ([3, 0, 1], r"layer 1: unknown spec 0 \(a dense layer needs a positive int of units\)"),
    ([], r"layers \[\]: expected the input width and at least one layer"),
    ([3], r"layers \[3\]: expected the input width and at least one layer"),
    ([("conv", 3, 4), 1], r"layer 0: unknown spec \('conv', 3, 4\); expected the input width: a positive "
                          r"int, or \('embed', vocabulary, dim\)"),
    ([3, ("embed", 10, 4), 1], r"layer 1: unknown spec \('embed', 10, 4\) \(only the first spec"),
    ([("embed", 0, 4), 1], r"layer 0: \('embed', 0, 4\) has a vocabulary or dim that is not a positive int"),
    ([3, ("lstm", 0), 1], r"layer 1: \('lstm', 0\) needs a positive int of units after 'lstm', got 0"),
    ([3, ("bigru", 2.5), 1], r"layer 1: \('bigru', 2.5\) needs a positive int of units after 'bigru', got 2.5"),
    ([3, ("rnn", 2, 7), 1], r"layer 1: \('rnn', 2, 7\) has a third entry 7; only recurrent layers take one, "
                            r"a dict of options \['recurrent_dropout'\]"),
    ([3, ("lstm", 2, {"dropout": 0.1}), 1], r"layer 1: .* has an unknown option 'dropout'"),
    ([3, ("lstm", 2, {"recurrent_dropout": 1.5}), 1], r"layer 1: .* has recurrent_dropout 1.5; expected a "
                                                       r"probability in \[0, 1\)"),
    ([3, ("dropout", 1.0), 1], r"layer 1: \('dropout', 1.0\) needs a probability in \[0, 1\) after 'dropout'"),
    ([3, ("dropout", 0.5, {}), 1], r"layer 1: \('dropout', 0.5, \{\}\) has a third entry"),
    ([3, ["lstm", 4], 1], r"layer 1: unknown spec \['lstm', 4\] \(a tuple, not a list\)"),
    ([3, True], r"layer 1: unknown spec True"),
]


@pytest.mark.parametrize("layers, message", BAD_SPECS, ids=[repr(s) for s, _ in BAD_SPECS])
def test_layer_specs_that_are_not_understood_are_an_error(layers, message):
    with pytest.raises(BrickworkError, match=message) as error:
        Regressor(layers)
    assert isinstance(error.value, ValueError)


BAD_RULES = [
    (lambda: RMSProp(decay_rate=-1), r"RMSProp: decay_rate must be in \[0, 1\], got -1"),
    (lambda: RMSProp(decay_rate=2), r"RMSProp: decay_rate must be in \[0, 1\], got 2"),
    (lambda: RMSProp(learning_rate=-0.1), r"RMSProp: learning_rate must be a number >= 0, got -0.1"),
    (lambda: RMSProp(max_scaling=0), r"RMSProp: max_scaling must be greater than 0, got 0"),
    (lambda: AdaDelta(decay_rate=1.5), r"AdaDelta: decay_rate must be in \[0, 1\], got 1.5"),
    (lambda: AdaDelta(epsilon=-1e-6), r"AdaDelta: epsilon must be a number >= 0"),
    (lambda: Adam(beta1=1.0), r"Adam: beta1 must be in \[0, 1\), got 1.0"),
    (lambda: Adam(beta2=-0.5), r"Adam: beta2 must be in \[0, 1\), got -0.5"),
    (lambda: Adam(learning_rate=float("nan")), r"Adam: learning_rate must be a number >= 0, got nan"),
    (lambda: AdaGrad(learning_rate=-1), r"AdaGrad: learning_rate must be a number >= 0"),
    (lambda: Scale(-0.01), r"Scale: learning_rate must be a number >= 0, got -0.01"),
    (lambda: Momentum(0.1, momentum=1.2), r"Momentum: momentum must be in \[0, 1\), got 1.2"),
    (lambda: Momentum(-0.1, momentum=0.9), r"Momentum: learning_rate must be a number >= 0"),
    (lambda: BasicMomentum(-0.9), r"BasicMomentum: momentum must be in \[0, 1\), got -0.9"),
    (lambda: StepClipping(0.0), r"StepClipping: threshold must be a number > 0, got 0.0"),
    (lambda: StepClipping("big"), r"StepClipping: threshold must be a number > 0, got 'big'"),
    (lambda: VariableClipping(1.0, axis=(0, 0)), r"VariableClipping: each axis may be given once, got \(0, 0\)"),
    (lambda: Adam(decay_factor=1.5), r"Adam: decay_factor must be in \[0, 1\], got 1.5"),
    (lambda: StepClipping(-1.0), r"StepClipping: threshold must be a number > 0, got -1.0"),
    (lambda: VariableClipping(-1.0), r"VariableClipping: threshold must be a number > 0"),
    (lambda: CompositeRule([Scale(0.1), 0.5]), r"CompositeRule: rule 1 is 0.5, expected a StepRule"),
]


@pytest.mark.parametrize("make, message", BAD_RULES, ids=[m.split(":")[0] + str(i) for i, (_, m) in
                                                         enumerate(BAD_RULES)])
def test_step_rule_arguments_out_of_range_are_an_error(make, message):
    with pytest.raises(TrainingError, match=message):
        make()


def test_step_rules_accept_the_edges_of_their_ranges():
    for rule in (RMSProp(decay_rate=0), RMSProp(decay_rate=1), AdaDelta(decay_rate=1), Adam(beta1=0),
                 Scale(0), Momentum(0.1, 0), VariableClipping(1.0, axis=(0, 1)), VariableClipping(1.0, axis=0)):
        cost, batch = _regression()
        weights = [p for p in GradientDescent(cost=cost).parameters if p.ndim == 2]
        algorithm = GradientDescent(cost=cost, step_rule=Restrict(rule, weights))
        algorithm.process_batch(batch)
        assert np.isfinite(algorithm.last_values["cost"])
