"""Sequence classification: scikit-learn's 8x8 digits read row by row by an LSTM (the Keras pattern)."""

from __future__ import annotations

import argparse

import numpy as np

from brickwork.models import Classifier

from . import HELP_FORMAT
from .plotting import Panel, epoch_curve, save_panels


def load() -> tuple[np.ndarray, np.ndarray]:
    """Images as time-major sequences ``(8 rows, examples, 8 pixels)`` in [0, 1], and labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise SystemExit("the digits example needs scikit-learn: pip install 'brickwork[examples]'") from error
    digits = load_digits()
    return (digits.images / 16.0).astype("float32").transpose(1, 0, 2), digits.target.astype("int64")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m brickwork.examples digits", description=__doc__,
                                     formatter_class=HELP_FORMAT)
    parser.add_argument("--updates", type=int, default=1500, help="parameter updates (batches of 64 images)")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    parser.add_argument("--plot", default="digits.png", help="where to draw the learning curve")
    args = parser.parse_args(argv)
    images, labels = load()
    order = np.random.default_rng(0).permutation(len(labels))
    images, labels = images[:, order], labels[order]
    test = int(0.2 * len(labels))
    train_x, train_y, test_x, test_y = images[:, test:], labels[test:], images[:, :test], labels[:test]
    net = Classifier(layers=[8, ("lstm", 64), 10], seed=1)
    history = net.train([train_x, train_y], algo="adam", learning_rate=0.005, batch_size=64,
                        max_updates=20 if args.quick else args.updates, validation_split=0.1, verbose=False)
    for row in history[::max(len(history) // 6, 1)]:
        print(f"train loss {row['train_loss']:.4f}  validation accuracy {row.get('valid_accuracy', 0):.3f}")
    accuracy = float((net.predict(test_x).argmax(1) == test_y).mean())
    baseline = _logistic_regression(train_x, train_y, test_x, test_y)
    save_panels(args.plot, [
        Panel("loss", "cross-entropy", {"training (epoch mean)": epoch_curve(history, "train_loss"),
                                        "validation": epoch_curve(history, "valid_loss")}, xlabel="epochs"),
        Panel("accuracy", "accuracy", {"validation": epoch_curve(history, "valid_accuracy")}, xlabel="epochs",
              baselines={f"logistic regression (test) {baseline:.3f}": baseline,
                         f"LSTM after training (test) {accuracy:.3f}": accuracy})],
        title="digits: LSTM(64) reading 8x8 images row by row")
    print(f"test accuracy: LSTM(64) over rows {accuracy:.3f}; logistic regression on pixels {baseline:.3f}")
    return 0


def _logistic_regression(train_x, train_y, test_x, test_y) -> float:
    from sklearn.linear_model import LogisticRegression
    flat = lambda x: x.transpose(1, 0, 2).reshape(x.shape[1], -1)  # noqa: E731
    model = LogisticRegression(max_iter=2000).fit(flat(train_x), train_y)
    return float(model.score(flat(test_x), test_y))
