"""MainLoop, extensions, data streams and exact resumption from checkpoints."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from brickwork.data import ArrayStream, CallableStream, bucket_by_length, pad_sequences
from brickwork.errors import TrainingError
from brickwork.extensions import (
    Checkpoint,
    DataStreamMonitoring,
    Extension,
    FinishAfter,
    FinishIfNoImprovementAfter,
    Load,
    Printing,
    Timing,
    TrackTheBest,
    TrainingDataMonitoring,
    load_checkpoint,
    save_checkpoint,
)
from brickwork.main_loop import MainLoop

# A small regression trained with Adam: Adam has state (moments and a step
# counter) and the stream shuffles, so resuming exactly needs all of it back.
SETUP = textwrap.dedent("""
    import numpy as np
    from brickwork import initialization, tensor
    from brickwork.algorithms import Adam, GradientDescent
    from brickwork.bricks import MLP, Tanh
    from brickwork.data import ArrayStream
    from brickwork.main_loop import MainLoop
    from brickwork.model import Model

    def build():
        mlp = MLP([Tanh(), None], [3, 8, 1], weights_init=initialization.IsotropicGaussian(0.3),
                  biases_init=initialization.Constant(0), seed=4)
        mlp.initialize()
        x, y = tensor.matrix("x"), tensor.matrix("y")
        cost = ((mlp.apply(x) - y) ** 2).mean()
        cost.name = "cost"
        rng = np.random.default_rng(0)
        xs = rng.standard_normal((100, 3)).astype("float32")
        stream = ArrayStream({"x": xs, "y": np.sin(xs.sum(1, keepdims=True))}, batch_size=16, seed=3)
        algorithm = GradientDescent(cost=cost, step_rule=Adam(0.01))
        return mlp, cost, stream, algorithm, Model(cost)
""")
exec(SETUP)


def test_training_reduces_the_cost_and_logs():
    mlp, cost, stream, algorithm, model = build()  # noqa: F821 (defined by SETUP)
    loop = MainLoop(algorithm, stream, model=model, extensions=[
        TrainingDataMonitoring([cost], prefix="train"), Timing(), FinishAfter(after_n_epochs=5),
        DataStreamMonitoring([cost], stream, prefix="valid")])
    loop.run()
    assert loop.status["epochs_done"] == 5 and loop.status["iterations_done"] == 5 * len(stream)
    valid = [row["valid_cost"] for _, row in sorted(loop.log.items()) if "valid_cost" in row]
    # before training and after each of 5 epochs (the last shares its row with after_training)
    assert len(valid) == 6 and valid[-1] < valid[0]
    assert loop.log.last("time_total") > 0 and "train_cost" in loop.log.current_row


def test_resume_in_a_new_process_continues_the_exact_trajectory(tmp_path):
    path = str(tmp_path / "checkpoint.npz")
    straight = tmp_path / "straight.npy"
    resumed = tmp_path / "resumed.npy"
    script = SETUP + textwrap.dedent(f"""
        import sys
        from brickwork.extensions import Checkpoint, FinishAfter, Load
        from brickwork.serialization import parameter_dict
        mlp, cost, stream, algorithm, model = build()
        mode = sys.argv[1]
        epochs = {{"straight": 2, "first": 1, "second": 2}}[mode]
        extensions = [FinishAfter(after_n_epochs=epochs)]
        if mode != "straight":
            extensions += [Load({path!r}), Checkpoint({path!r})]
        MainLoop(algorithm, stream, model=model, extensions=extensions).run()
        values = np.concatenate([p.get_value().ravel() for p in parameter_dict(mlp).values()])
        if mode != "first":
            np.save({str(straight)!r} if mode == "straight" else {str(resumed)!r}, values)
    """)
    for mode in ("straight", "first", "second"):
        subprocess.run([sys.executable, "-c", script, mode], check=True, timeout=120)
    np.testing.assert_array_equal(np.load(straight), np.load(resumed))


def test_checkpoint_write_is_atomic_and_load_checks_names(tmp_path, monkeypatch):
    path = str(tmp_path / "checkpoint.npz")
    mlp, cost, stream, algorithm, model = build()  # noqa: F821
    loop = MainLoop(algorithm, stream, model=model, extensions=[FinishAfter(after_n_batches=3)])
    loop.run()
    save_checkpoint(loop, path)
    original = open(path, "rb").read()

    def broken(file, **arrays):
        file.write(b"half a file")
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError):
        save_checkpoint(loop, path)
    monkeypatch.undo()
    assert open(path, "rb").read() == original and os.listdir(tmp_path) == ["checkpoint.npz"]
    other_mlp, other_cost, other_stream, other_algorithm, _ = build()  # noqa: F821
    stranger = MainLoop(other_algorithm, other_stream, model=None)
    with pytest.raises(Exception, match="unexpected '/mlp/linear_0.W'"):
        load_checkpoint(stranger, path)
    with pytest.raises(TrainingError, match="no checkpoint"):
        MainLoop(algorithm, stream, model=model,
                 extensions=[Load(str(tmp_path / "missing.npz"), must_exist=True)]).run()


def test_early_stopping_restores_the_best_parameters():
    mlp, cost, stream, algorithm, model = build()  # noqa: F821
    values = iter([3.0, 2.0, 2.5, 2.6, 2.7, 2.8])

    class FakeRecord(TrainingDataMonitoring):
        def do(self, callback):
            if callback == "after_epoch":
                self.log.current_row["score"] = next(values)
    track = TrackTheBest("score")
    stop = FinishIfNoImprovementAfter("score_best_so_far", epochs=2)
    loop = MainLoop(algorithm, stream, model=model, extensions=[FakeRecord([cost]), track, stop,
                                                                FinishAfter(after_n_epochs=6)])
    snapshots = []

    class Snapshot(Printing):
        def do(self, callback):
            snapshots.append(mlp.linear_transformations[0].W.get_value())
    loop.extensions.append(Snapshot(every_n_epochs=1))
    loop.run()
    assert loop.status["epochs_done"] == 4 and loop.log.current_row["restored_best_of_epoch"] == 2
    np.testing.assert_array_equal(mlp.linear_transformations[0].W.get_value(), snapshots[1])


def test_checkpoint_extension_runs_on_interrupt(tmp_path):
    path = str(tmp_path / "c.npz")
    mlp, cost, stream, algorithm, model = build()  # noqa: F821

    class Interrupt(Extension):
        def do(self, callback):
            signal.raise_signal(signal.SIGINT)  # as if the user pressed Ctrl-C during the batch
    loop = MainLoop(algorithm, stream, model=model,
                    extensions=[Interrupt(every_n_batches=2), Checkpoint(path, every_n_epochs=100)])
    loop.run()
    assert loop.status["interrupted"] and loop.status["iterations_done"] == 2 and os.path.exists(path)


def test_array_stream_is_seeded_and_covers_every_example():
    data = {"x": np.arange(10)[:, None], "seq": np.arange(30).reshape(3, 10)}
    first = [b["x"].ravel().tolist() for b in ArrayStream(data, 4, seed=1, batch_axis={"seq": 1})]
    again = [b["x"].ravel().tolist() for b in ArrayStream(data, 4, seed=1, batch_axis={"seq": 1})]
    assert first == again and sorted(sum(first, [])) == list(range(10)) and len(first) == 3
    batch = next(iter(ArrayStream(data, 4, seed=1, batch_axis={"seq": 1})))
    np.testing.assert_array_equal(batch["seq"][0], batch["x"].ravel())
    calls = CallableStream(lambda: [np.zeros(2), np.ones(2)], batches_per_epoch=3, names=["a", "b"])
    assert [sorted(b) for b in calls] == [["a", "b"]] * 3


def test_pad_sequences_and_buckets():
    padded, mask = pad_sequences([np.ones((3, 2)), 2 * np.ones((1, 2))])
    assert padded.shape == (3, 2, 2) and mask.tolist() == [[1, 1], [1, 0], [1, 0]]
    np.testing.assert_array_equal(padded[1:, 1], 0)
    batches = bucket_by_length([5, 1, 4, 2, 3, 6], batch_size=2)
    assert sorted(sorted(b.tolist()) for b in batches) == [[0, 5], [1, 3], [2, 4]]  # by length


def test_plot_writes_a_png_of_logged_quantities(tmp_path):
    pytest.importorskip("matplotlib")
    from brickwork.extensions import Plot
    mlp, cost, stream, algorithm, model = build()  # noqa: F821
    path = str(tmp_path / "curve.png")
    MainLoop(algorithm, stream, model=model, extensions=[
        TrainingDataMonitoring([cost], prefix="train"), FinishAfter(after_n_epochs=2),
        Plot(path, ["train_cost", "cost"])]).run()
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_checkpoints_restore_the_random_streams_of_the_graph(tmp_path):
    from brickwork import tensor
    from brickwork.algorithms import GradientDescent, Scale
    from brickwork.roles import PARAMETER, add_role
    from brickwork.tensor import RandomStreams
    w = tensor.shared(np.ones(3, dtype="float32"), name="w")
    add_role(w, PARAMETER)
    x = tensor.vector("x")
    streams = RandomStreams(7)
    start = streams.get_state()
    cost = (w * x * streams.binomial(x.shape, p=0.5)).sum()
    path = str(tmp_path / "c.npz")

    def train(extensions):
        loop = MainLoop(GradientDescent(cost=cost, step_rule=Scale(0.1)),
                        [{"x": np.ones(3, dtype="float32")}] * 2, extensions=extensions)
        loop.run()
        return w.get_value()
    straight = train([FinishAfter(after_n_epochs=2)])
    w.set_value(np.ones(3))
    streams.set_state(start)
    train([FinishAfter(after_n_epochs=1), Checkpoint(path)])
    streams.set_state(RandomStreams(99).get_state())  # a new process would start elsewhere
    w.set_value(np.zeros(3))
    resumed = train([Load(path), FinishAfter(after_n_epochs=2)])
    np.testing.assert_array_equal(resumed, straight)
