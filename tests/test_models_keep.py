"""Quick-start models kept like Keras models: train continues, early stopping, save and load."""

import numpy as np
import pytest

from brickwork.errors import BrickError
from brickwork.models import Classifier, Regressor, load_model
from brickwork.serialization import load_parameters_into


def _sequences(seed=0, batch=64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((6, batch, 2)).astype("float32")
    return x, np.cumsum(x, axis=0)[:, :, :1] * 0.5


def _same_parameters(a, b):
    return all(np.array_equal(p.get_value(), q.get_value()) for p, q in zip(a.parameters, b.parameters))


def test_two_calls_of_train_equal_one_call_of_twice_the_length_bit_for_bit():
    x, y = _sequences()
    split = Regressor([2, ("lstm", 5), 1], seed=3)
    split.train([x, y], algo="adam", max_updates=4, batch_size=64, verbose=False)
    split.train([x, y], max_updates=4, batch_size=64, verbose=False)
    whole = Regressor([2, ("lstm", 5), 1], seed=3)
    whole.train([x, y], algo="adam", max_updates=8, batch_size=64, verbose=False)
    assert _same_parameters(split, whole)


def test_mini_batches_continue_mid_epoch():
    x, y = _sequences()
    split = Regressor([2, ("gru", 4), 1], seed=2)
    for _ in range(3):
        split.train([x, y], algo="rmsprop", max_updates=3, batch_size=10, verbose=False)
    whole = Regressor([2, ("gru", 4), 1], seed=2)
    whole.train([x, y], algo="rmsprop", max_updates=9, batch_size=10, verbose=False)
    assert _same_parameters(split, whole)


def test_saved_model_predicts_the_same_and_resumes_exactly(tmp_path):
    x, y = _sequences()
    path = str(tmp_path / "model.npz")
    first = Regressor([2, ("lstm", 5), 1], seed=3)
    first.train([x, y], algo="adam", max_updates=5, batch_size=16, verbose=False)
    first.save(path)
    with np.load(path, allow_pickle=False) as saved:
        assert "__model__" in saved.files and "/lstm_1.W_state" in saved.files
    loaded = load_model(path)
    assert type(loaded) is Regressor
    assert np.array_equal(loaded.predict(x), first.predict(x))
    first.train([x, y], max_updates=6, batch_size=16, verbose=False)
    loaded.train([x, y], max_updates=6, batch_size=16, verbose=False)
    assert _same_parameters(first, loaded)


def test_untrained_classifier_round_trips_with_its_class_and_options(tmp_path):
    path = str(tmp_path / "c.npz")
    net = Classifier([("embed", 7, 3), ("gru", 4), 3], seed=5, forget_bias=0.5)
    net.save(path)
    loaded = load_model(path)
    tokens = np.random.default_rng(0).integers(0, 7, size=(5, 9))
    assert type(loaded) is Classifier and loaded.options() == net.options()
    assert np.array_equal(loaded.predict(tokens), net.predict(tokens))


def test_checkpoint_every_epoch_resumes_and_loads_into_bricks(tmp_path):
    x, y = _sequences()
    path = str(tmp_path / "ckpt.npz")
    interrupted = Regressor([2, ("rnn", 4), 1], seed=4)
    interrupted.train([x, y], algo="adam", epochs=3, batch_size=16, checkpoint=path, verbose=False)
    resumed = load_model(path)
    resumed.train([x, y], epochs=2, batch_size=16, verbose=False)
    straight = Regressor([2, ("rnn", 4), 1], seed=4)
    straight.train([x, y], algo="adam", epochs=5, batch_size=16, verbose=False)
    assert _same_parameters(resumed, straight)
    bricks = Regressor([2, ("rnn", 4), 1], seed=9)
    load_parameters_into(bricks.bricks, path)
    assert np.array_equal(bricks.predict(x), interrupted.predict(x))


def test_early_stopping_restores_the_best_validation_epoch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 4)).astype("float32")
    y = rng.standard_normal((40, 1)).astype("float32")  # noise: validation loss soon rises
    valid = [rng.standard_normal((40, 4)).astype("float32"), rng.standard_normal((40, 1)).astype("float32")]
    net = Regressor([4, 32, 1], seed=1)
    history = net.train([x, y], valid=valid, algo="adam", learning_rate=0.01, epochs=200,
                        batch_size=40, patience=3, verbose=False)
    assert 3 < len(history) < 200
    best = int(np.argmin([row["valid_loss"] for row in history[:-1]]))
    assert history[-1]["restored_best_of_epoch"] == best + 1
    assert net.evaluate(valid)["loss"] == pytest.approx(history[best]["valid_loss"], rel=1e-6)


def test_evaluate_and_predict_in_batches():
    x, y = _sequences()
    net = Regressor([2, ("lstm", 3), 1], seed=1)
    whole = net.evaluate([x, y])
    assert set(whole) == {"loss"}
    assert net.evaluate([x, y], batch_size=16)["loss"] == pytest.approx(whole["loss"], rel=1e-5)
    assert np.allclose(net.predict(x, batch_size=10), net.predict(x), rtol=1e-6, atol=1e-7)
    labels = (x.sum(axis=(0, 2)) > 0).astype("int64")
    classifier = Classifier([2, ("gru", 3), 2], seed=1)
    assert set(classifier.evaluate([x, labels])) == {"loss", "accuracy"}
    assert classifier.predict(x, batch_size=10).shape == (64, 2)


def test_patience_needs_validation_data():
    x, y = _sequences()
    with pytest.raises(BrickError, match="patience needs validation data"):
        Regressor([2, ("lstm", 3), 1]).train([x, y], patience=2, verbose=False)
