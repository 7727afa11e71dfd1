"""Quick-start models: build from specs, predict before training, learn."""

import numpy as np
import pytest

from brickwork.errors import BrickError
from brickwork.models import Classifier, Regressor


def test_regressor_learns_a_sequence_map_and_predicts_before_training():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 64, 2)).astype("float32")
    y = np.cumsum(x, axis=0)[:, :, :1] * 0.5
    net = Regressor(layers=[2, ("gru", 8), 1], seed=3)
    before = ((net.predict(x) - y) ** 2).mean()
    history = net.train([x, y], algo="adam", learning_rate=0.02, max_updates=150, batch_size=16,
                        validation_split=0.25, verbose=False)
    after = ((net.predict(x) - y) ** 2).mean()
    assert after < 0.5 * before
    assert history[-1]["valid_loss"] < history[0]["train_loss"]


def test_classifier_on_sequences_with_embeddings_and_masks():
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, 5, size=(7, 96))
    mask = np.ones((7, 96), dtype="float32")
    mask[4:, ::2] = 0  # half the sequences are shorter
    labels = (np.where(mask > 0, tokens == 4, False).sum(0) > 1).astype("int64")
    net = Classifier(layers=[("embed", 5, 4), ("lstm", 8), 2], seed=2)
    assert "embed" in net.summary() and "LSTM(8)" in net.summary()
    net.train([tokens, mask, labels], algo="adam", learning_rate=0.03, max_updates=200, batch_size=32,
              verbose=False)
    accuracy = (net.predict(tokens, mask).argmax(1) == labels).mean()
    assert accuracy > 0.8


def test_dense_classifier_and_bad_specs():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((200, 2)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("int64")
    net = Classifier(layers=[2, 16, 2], seed=1)
    net.train([x, y], algo="adam", learning_rate=0.05, max_updates=300, batch_size=50, verbose=False)
    assert (net.predict(x).argmax(1) == y).mean() > 0.85
    with pytest.raises(BrickError, match="unknown spec"):
        Regressor(layers=[1, ("transformer", 3), 1])
    with pytest.raises(BrickError, match="unknown algo"):
        Regressor(layers=[1, 1]).train([x[:, :1], x[:, 1:]], algo="magic", verbose=False)
