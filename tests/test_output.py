"""Output a person reads: plots on figures of their own, messages through logging, one line per epoch."""

import logging

import numpy as np
import pytest

from brickwork.extensions import Plot
from brickwork.main_loop import TrainingLog
from brickwork.models import Regressor

matplotlib = pytest.importorskip("matplotlib")


class _Loop:
    def __init__(self, rows):
        self.log = TrainingLog()
        self.log.update(rows)


def test_plot_draws_on_its_own_figure_with_title_labels_and_a_log_scale(tmp_path):
    backend = matplotlib.get_backend()
    plot = Plot(str(tmp_path / "curve.png"), ["train_loss", "valid_loss"], title="losses", ylabel="loss")
    plot.main_loop = _Loop({i: {"train_loss": 10.0 ** -i, "valid_loss": 2 * 10.0 ** -i} for i in range(1, 6)})
    plot.do("after_epoch")
    assert (tmp_path / "curve.png").stat().st_size > 0
    assert matplotlib.get_backend() == backend
    axes = plot.draw().axes[0]
    assert (axes.get_title(), axes.get_ylabel(), axes.get_yscale()) == ("losses", "loss", "log")
    assert axes.get_xlabel().startswith("iterations")
    plot.main_loop = _Loop({i: {"train_loss": 1.0 + i, "valid_loss": 2.0 + i} for i in range(1, 6)})
    assert plot.draw().axes[0].get_yscale() == "linear"


def test_training_prints_one_line_per_epoch_and_nothing_twice(capsys):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 2)).astype("float32"), rng.standard_normal((32, 1)).astype("float32")
    history = Regressor([2, 4, 1]).train([x, y], epochs=3, batch_size=16, validation_split=0.25, verbose=True)
    assert all("cost" in row and "train_loss" in row and "loss" not in row for row in history)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and len(set(lines)) == 3
    assert all("train_loss" in line and "valid_loss" in line for line in lines)
    assert not any(" loss " in f" {line} " for line in lines)  # the batch cost is not logged under a second name


def test_the_library_logs_its_messages(caplog):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((32, 2)).astype("float32"), rng.standard_normal((32, 1)).astype("float32")
    model = Regressor([2, 4, 1])
    model.train([x, y], algo="adam", max_updates=2, verbose=False)
    with caplog.at_level(logging.INFO, logger="brickwork"):
        model.train([x, y], algo="sgd", max_updates=2, verbose=False)
    assert any("new step rule" in record.message for record in caplog.records)
