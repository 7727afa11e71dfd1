"""Quick-start layer specs: bidirectional layers, dropout, recurrent dropout, tagging, batch-major data."""

import numpy as np
import pytest

from brickwork.models import Classifier, Regressor, load_model
from brickwork.serialization import parameter_dict
from brickwork.tensor.random import RandomDraw
from brickwork.tensor.walk import toposort


@pytest.mark.parametrize("kind", ["bilstm", "bigru", "birnn"])
def test_bidirectional_layers_see_the_future_and_concatenate(kind):
    x = np.random.default_rng(0).standard_normal((5, 3, 2)).astype("float32")
    net = Regressor([2, (kind, 4)], seed=1)
    out = net.predict(x)
    assert out.shape == (5, 3, 8)
    later = x.copy()
    later[-1] += 1.0
    changed = net.predict(later)
    assert np.allclose(changed[0, :, :4], out[0, :, :4])  # forward half: the past only
    assert not np.allclose(changed[0, :, 4:], out[0, :, 4:])  # backward half: sees the last step
    values = {name: p.get_value() for name, p in parameter_dict(net.bricks).items()}
    twins = [(name, name.replace("_forward", "_backward")) for name in values if "_forward" in name]
    assert twins and all(not np.array_equal(values[f], values[b]) for f, b in twins if values[f].ndim == 2)


def _draws(variable):
    return [node for node in toposort([variable]) if isinstance(node.op, RandomDraw)]


def test_dropout_only_while_training_and_resumes_exactly(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 32, 3)).astype("float32")
    y = x.sum(-1, keepdims=True)
    specs = [3, ("lstm", 6, {"recurrent_dropout": 0.3}), ("dropout", 0.2), 1]
    net = Regressor(specs, seed=2)
    assert _draws(net.output) == []
    draws = _draws(net.train_output)
    assert len(draws) == 2  # one mask for all the steps of the recurrence, one for the dropout layer
    assert np.array_equal(net.predict(x), net.predict(x))
    net.train([x, y], algo="adam", max_updates=3, batch_size=8, verbose=False)
    path = str(tmp_path / "dropout.npz")
    net.save(path)
    loaded = load_model(path)
    net.train([x, y], max_updates=3, batch_size=8, verbose=False)
    loaded.train([x, y], max_updates=3, batch_size=8, verbose=False)
    assert all(np.array_equal(p.get_value(), q.get_value()) for p, q in zip(net.parameters, loaded.parameters))


def test_tagging_predicts_a_class_per_step_and_ignores_padding_in_batch_major_data():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((128, 7, 1)).astype("float32")  # batch-major, as Keras takes it
    labels = (np.cumsum(x[..., 0], axis=1) > 0).astype("int64")
    mask = np.ones((128, 7), dtype="float32")
    mask[::2, 5:] = 0
    net = Classifier([1, ("gru", 8), 2], per_step=True, time_major=False, seed=3)
    net.train([x, mask, labels], algo="adam", learning_rate=0.03, max_updates=150, batch_size=32,
              verbose=False)
    probabilities = net.predict(x, mask)
    assert probabilities.shape == (128, 7, 2)
    assert net.evaluate([x, mask, labels])["accuracy"] > 0.9
    garbage = labels.copy()
    garbage[mask == 0] = 1 - garbage[mask == 0]
    assert net.evaluate([x, mask, garbage]) == net.evaluate([x, mask, labels])


def test_batch_major_models_equal_time_major_ones():
    x = np.random.default_rng(3).standard_normal((6, 5, 2)).astype("float32")
    y = np.cumsum(x, axis=0)[..., :1]
    time_major = Regressor([2, ("lstm", 3), 1], seed=4)
    batch_major = Regressor([2, ("lstm", 3), 1], seed=4, time_major=False)
    for net, (inputs, targets) in ((time_major, (x, y)), (batch_major, (x.swapaxes(0, 1), y.swapaxes(0, 1)))):
        net.train([inputs, targets], algo="adam", max_updates=4, batch_size=5, verbose=False)
    assert np.array_equal(batch_major.predict(x.swapaxes(0, 1)), time_major.predict(x).swapaxes(0, 1))


def test_a_spec_not_understood_names_its_position():
    with pytest.raises(ValueError, match=r"layer 2: unknown spec \('lstn', 4\)"):
        Regressor([2, 3, ("lstn", 4), 1])


@pytest.mark.parametrize("make", [
    lambda: Classifier([("embed", 9, 3), ("bilstm", 4, {"recurrent_dropout": 0.2}), ("dropout", 0.1), 2]),
    lambda: Classifier([2, ("gru", 3), 4], per_step=True, time_major=False),
    lambda: Regressor([2, ("birnn", 3), ("dropout", 0.5), 1], time_major=False),
    lambda: Classifier([2, 5, 3]),
])
def test_summary_shows_the_shapes_predict_returns(make):
    net = make()
    time, batch = 5, 3
    if net.embedded:
        x = np.zeros((time, batch), dtype="int64")
    elif net.recurrent:
        x = np.zeros((time, batch, 2) if net.time_major else (batch, time, 2), dtype="float32")
    else:
        x = np.zeros((batch, 2), dtype="float32")
    last_shape = [line for line in net.summary().splitlines() if "(" in line][-1]
    shape = last_shape[last_shape.rindex("(batch") if "(batch" in last_shape else last_shape.rindex("(time"):]
    shape = shape[:shape.index(")") + 1].replace("time", str(time)).replace("batch", str(batch))
    assert shape == str(net.predict(x).shape)
    assert "?" not in net.summary()
