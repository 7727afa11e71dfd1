"""Loading a checkpoint is all or nothing, and checkpoints stay small."""

import os

import numpy as np
import pytest

from brickwork import initialization, tensor
from brickwork.algorithms import Adam, GradientDescent
from brickwork.bricks import MLP, Tanh
from brickwork.data import ArrayStream
from brickwork.errors import TrainingError
from brickwork.extensions import (
    FinishAfter,
    Load,
    TrackTheBest,
    TrainingDataMonitoring,
    load_checkpoint,
    save_checkpoint,
)
from brickwork.main_loop import MainLoop
from brickwork.model import Model


def _loop(hidden=6, batches=7, extensions=()):
    """A regression with Adam trained for ``batches`` updates (mid-epoch: 5 batches an epoch)."""
    mlp = MLP([Tanh(), None], [3, hidden, 1], weights_init=initialization.IsotropicGaussian(0.3),
              biases_init=initialization.Constant(0), seed=4)
    mlp.initialize()
    x, y = tensor.matrix("x"), tensor.matrix("y")
    cost = ((mlp.apply(x) - y) ** 2).mean()
    cost.name = "cost"
    xs = np.random.default_rng(0).standard_normal((40, 3)).astype("float32")
    stream = ArrayStream({"x": xs, "y": np.sin(xs.sum(1, keepdims=True))}, batch_size=8, seed=3)
    loop = MainLoop(GradientDescent(cost=cost, step_rule=Adam(0.01)), stream, model=Model(cost),
                    extensions=[TrainingDataMonitoring([cost]), FinishAfter(after_n_batches=batches),
                                *extensions])
    return loop.run()


def _everything(loop):
    """All a checkpoint could change, as plain copies."""
    return {"parameters": {n: p.get_value() for n, p in loop.model.get_parameter_dict().items()},
            "state": [v.get_value() for v in loop.algorithm.state_variables()],
            "log": {i: dict(row) for i, row in loop.log.items()}, "status": dict(loop.status),
            "stream": loop.data_stream.get_state(),
            "extensions": [e.get_state() for e in loop.extensions]}


def _assert_unchanged(loop, before):
    after = _everything(loop)
    for name, value in before["parameters"].items():
        np.testing.assert_array_equal(after["parameters"][name], value)
    for ours, theirs in zip(after["state"], before["state"]):
        np.testing.assert_array_equal(ours, theirs)
    assert after["log"] == before["log"] and after["status"] == before["status"]
    assert after["stream"] == before["stream"] and after["extensions"] == before["extensions"]


def _truncated(tmp_path, saved):
    data = open(saved, "rb").read()
    path = tmp_path / "truncated.npz"
    path.write_bytes(data[:len(data) // 2])
    return str(path)


def _npy(tmp_path, saved):
    path = str(tmp_path / "weights.npy")
    np.save(path, np.zeros((3, 6)))
    return path


def _other_model(tmp_path, saved):
    path = str(tmp_path / "other.npz")
    save_checkpoint(_loop(hidden=5), path)
    return path


def _other_extensions(tmp_path, saved):
    path = str(tmp_path / "tracked.npz")
    save_checkpoint(_loop(extensions=[TrackTheBest("train_cost")]), path)
    return path


BAD_FILES = {
    "a .npy array": (_npy, "holds one array \\(a .npy file\\)"),
    "a truncated checkpoint": (_truncated, "not a readable checkpoint"),
    "another model's checkpoint": (_other_model, "'/mlp/linear_0.W' has shape \\(3, 5\\), expected \\(3, 6\\)"),
    "extensions that differ": (_other_extensions, "extension TrackTheBest, which this main loop lacks"),
}


@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_a_bad_checkpoint_is_a_clear_error_and_changes_nothing(bad, tmp_path):
    saved = str(tmp_path / "good.npz")
    save_checkpoint(_loop(batches=3), saved)
    make, message = BAD_FILES[bad]
    path = make(tmp_path, saved)
    loop = _loop(batches=7)
    before = _everything(loop)
    with pytest.raises(TrainingError, match=message) as error:
        load_checkpoint(loop, path)
    assert "nothing was changed" in str(error.value)
    _assert_unchanged(loop, before)


def test_a_file_of_parameters_is_not_a_checkpoint(tmp_path):
    loop = _loop()
    path = str(tmp_path / "parameters.npz")
    np.savez(path, **{n: p.get_value() for n, p in loop.model.get_parameter_dict().items()})
    before = _everything(loop)
    with pytest.raises(TrainingError, match="no __meta__ entry"):
        load_checkpoint(loop, path)
    _assert_unchanged(loop, before)


def test_a_missing_checkpoint_is_an_error_when_it_must_exist(tmp_path):
    trained = _loop(batches=1)
    loop = MainLoop(trained.algorithm, trained.data_stream, extensions=[
        Load(str(tmp_path / "missing.npz"), must_exist=True)])
    with pytest.raises(TrainingError, match="no checkpoint"):
        loop.run()


def test_a_good_checkpoint_restores_everything(tmp_path):
    path = str(tmp_path / "c.npz")
    trained = _loop(batches=7)
    save_checkpoint(trained, path)
    expected = _everything(trained)
    expected["status"]["training_finish_requested"] = False  # so that training can go on
    fresh = _loop(batches=2)
    load_checkpoint(fresh, path)
    _assert_unchanged(fresh, expected)


def test_the_log_is_stored_by_channel_in_a_few_bytes_per_update(tmp_path):
    sizes = {}
    for updates in (10, 1010):
        path = str(tmp_path / f"{updates}.npz")
        save_checkpoint(_loop(batches=updates), path)
        sizes[updates] = os.path.getsize(path)
    # each update logs two float64 channels (cost, gradient norm): 16 bytes before compression;
    # the log of one JSON row per update took 87-118 bytes per update
    assert sizes[1010] - sizes[10] < 20_000, sizes
