"""Blocks parity of the main loop and extensions: conditions, do(), the log, Blocks' extensions.

The expected call sequences follow Blocks' SimpleExtension (conditions and
their predicates), MainLoop.run (before_training once, on_resumption when
iterations are done, on_error) and Blocks' tests/extensions.
"""

import re

import numpy as np
import pytest

from brickwork import shared, tensor
from brickwork.algorithms import Scale, UpdatesAlgorithm
from brickwork.extensions import (
    CompositeExtension,
    FinishAfter,
    FinishIfNoImprovementAfter,
    SharedVariableModifier,
    SimpleExtension,
    Timestamp,
)
from brickwork.main_loop import MainLoop
from brickwork.roles import PARAMETER, add_role


def counting_loop(extensions, epochs=2, batches=3):
    n = shared(np.float64(0.0), name="n")
    x = tensor.vector("x", dtype="float64")
    algorithm = UpdatesAlgorithm(updates=[(n, n + x.sum())])
    stream = [{"x": np.array([float(i)])} for i in range(1, batches + 1)]
    return MainLoop(algorithm, stream, extensions=[FinishAfter(after_n_epochs=epochs)] + list(extensions)), n


class Recorder(SimpleExtension):
    def __init__(self, **conditions):
        super().__init__(**conditions)
        self.calls = []

    def do(self, which_callback, *args):
        status = self.main_loop.log.status
        self.calls.append((which_callback, status["iterations_done"], status["epochs_done"], args))


@pytest.mark.parametrize("condition, expected", [
    ({"before_training": True}, [("before_training", 0, 0)]),
    ({"before_first_epoch": True}, [("before_epoch", 0, 0)]),
    ({"before_epoch": True}, [("before_epoch", 0, 0), ("before_epoch", 3, 1)]),
    ({"after_epoch": True}, [("after_epoch", 3, 1), ("after_epoch", 6, 2)]),
    ({"every_n_batches": 2}, [("after_batch", 2, 0), ("after_batch", 4, 1), ("after_batch", 6, 1)]),
    ({"every_n_epochs": 2}, [("after_epoch", 6, 2)]),
    ({"after_n_batches": 4}, [("after_batch", 4, 1)]),
    ({"after_n_epochs": 1}, [("after_epoch", 3, 1)]),
    ({"after_training": True}, [("after_training", 6, 2)]),
    ({"on_interrupt": True, "on_resumption": True, "on_error": True}, []),
])
def test_simple_extension_conditions(condition, expected):
    recorder = Recorder(**condition)
    counting_loop([recorder])[0].run()
    assert [call[:3] for call in recorder.calls] == expected


def test_do_receives_the_batch_and_condition_arguments():
    recorder = Recorder(after_batch=True)
    recorder.add_condition(["after_epoch"], predicate=lambda log: log.status["epochs_done"] == 2,
                           arguments=("extra",))
    counting_loop([recorder], epochs=2, batches=2)[0].run()
    batches = [args[0]["x"].tolist() for name, _, _, args in recorder.calls if name == "after_batch"]
    assert batches == [[1.0], [2.0], [1.0], [2.0]]
    assert [c for c in recorder.calls if c[0] == "after_epoch"] == [("after_epoch", 4, 2, ("extra",))]
    assert SimpleExtension.parse_args("before_batch", ("a", "b")) == (("a",), ("b",))
    assert SimpleExtension.parse_args("before_epoch", ("a", "b")) == ((), ("a", "b"))
    with pytest.raises(ValueError):
        recorder.add_condition("after_epoch")


def test_log_status_rows_and_finish_requested_through_the_row():
    class StopAtFour(SimpleExtension):
        def do(self, which_callback, *args):
            if self.main_loop.log.status["iterations_done"] == 4:
                self.main_loop.log.current_row["training_finish_requested"] = True
            self.main_loop.log.current_row["seen"] = self.main_loop.log.status["iterations_done"]

    loop, n = counting_loop([StopAtFour(after_batch=True)], epochs=10)
    loop.run()
    status = loop.log.status
    assert status["iterations_done"] == 4 and status["epochs_done"] == 1
    assert status["training_started"] and status["_epoch_ends"] == [3]
    assert loop.log.current_row["seen"] == 4 and loop.log.previous_row["seen"] == 3
    assert n.get_value() == 1 + 2 + 3 + 1


def test_resumption_and_errors():
    recorder = Recorder(before_training=True, on_resumption=True)
    loop, _ = counting_loop([recorder], epochs=1)
    loop.run()
    loop.extensions[0].after_n_epochs = 2
    loop.status["training_finish_requested"] = False
    loop.run()
    assert [c[0] for c in recorder.calls] == ["before_training", "on_resumption"]
    assert loop.status["epochs_done"] == 2

    class Failing(UpdatesAlgorithm):
        def process_batch(self, batch):
            raise RuntimeError("broken batch")

    errors = Recorder(on_error=True)
    failing = MainLoop(Failing(), [{}], extensions=[errors])
    with pytest.raises(RuntimeError, match="broken batch"):
        failing.run()
    assert [(c[0], type(c[3][0])) for c in errors.calls] == [("on_error", RuntimeError)]


def test_shared_variable_modifier_with_one_and_two_arguments():
    rate = shared(np.float32(1.0), name="rate")
    decay = shared(np.float32(1.0), name="decay")
    loop, _ = counting_loop([SharedVariableModifier(rate, lambda i: 1.0 / (i + 1)),
                             SharedVariableModifier(decay, lambda i, old: old * 0.5, after_batch=False,
                                                    every_n_batches=2)],
                            epochs=1)
    loop.run()
    assert rate.get_value() == np.float32(1.0 / 4) and rate.get_value().dtype == np.float32
    assert decay.get_value() == np.float32(0.5)  # once, at iteration 2 of 3


def test_timestamp_records_iso_time():
    loop, _ = counting_loop([Timestamp(), Timestamp(log_record="stamp", separator="T")], epochs=1)
    loop.run()
    row = loop.log.current_row
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}(:\d{2}){2}\.\d+", row["timestamp"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}(:\d{2}){2}\.\d+", row["stamp"])


class Counter(SimpleExtension):
    def __init__(self, num, **kwargs):
        self.num = num
        super().__init__(**kwargs)

    def do(self, which_callback, *args):
        self.num += 1


class Summing(CompositeExtension):
    def do(self, which_callback, *args):
        self.num = sum(sub.num for sub in self.sub_extensions)


@pytest.mark.parametrize("before, total", [(True, 3), (False, 5)])
def test_composite_extension_order_and_main_loop(before, total):
    composite = Summing([Counter(1, before_training=True), Counter(2, before_training=True)],
                        before_training=True, run_before_children=before)
    marker = object()
    composite.main_loop = marker
    assert all(sub.main_loop is marker for sub in composite.sub_extensions)
    composite.main_loop = counting_loop([])[0]
    composite.dispatch("before_training")
    assert composite.num == total


def test_patience_records_as_blocks():
    class Notify(SimpleExtension):
        def do(self, which_callback, *args):
            if self.main_loop.log.status["epochs_done"] == 1:
                self.main_loop.log.current_row["valid_best_so_far"] = True

    stopper = FinishIfNoImprovementAfter("valid_best_so_far", epochs=2)
    loop, _ = counting_loop([Notify(after_epoch=True), stopper], epochs=10, batches=1)
    loop.run()
    patience = {i: row["valid_best_so_far_patience_epochs"] for i, row in loop.log.items()
                if "valid_best_so_far_patience_epochs" in row}
    assert patience == {1: 2, 2: 1, 3: 0} and loop.status["epochs_done"] == 3
    by_iterations = FinishIfNoImprovementAfter("x", iterations=3)
    assert by_iterations.patience_log_record == "x_patience_iterations"
    with pytest.raises(ValueError):
        FinishIfNoImprovementAfter("x", iterations=3, epochs=2)


def test_early_stopping_tracks_stops_and_checkpoints_the_best(tmp_path):
    from brickwork.extensions import Checkpoint, EarlyStopping, OnLogRecord
    from brickwork.serialization import load_parameters

    class Scores(SimpleExtension):
        """Logs a validation score that improves for two epochs, then stalls."""

        def do(self, which_callback, *args):
            epochs = self.main_loop.log.status["epochs_done"]
            self.main_loop.log.current_row["valid"] = [5.0, 3.0, 2.0, 4.0, 4.0, 4.0][epochs - 1]

    best = str(tmp_path / "best.npz")
    checkpoint = Checkpoint(str(tmp_path / "last.npz"), every_n_epochs=1000, after_training=False)
    stopper = EarlyStopping("valid", checkpoint_extension=checkpoint, checkpoint_filename=best, epochs=2)
    from brickwork.algorithms import GradientDescent
    w = shared(np.ones(2), name="w")
    add_role(w, PARAMETER)
    x = tensor.vector("x", dtype="float64")
    algorithm = GradientDescent(cost=(w * x).sum(), step_rule=Scale(0.01))
    loop = MainLoop(algorithm, [{"x": np.ones(2)}],
                    extensions=[FinishAfter(after_n_epochs=10), Scores(after_epoch=True), stopper])
    loop.run()
    assert loop.status["epochs_done"] == 5  # best at epoch 3, then two epochs without improvement
    rows = {i: row for i, row in loop.log.items() if row.get("valid_best_so_far")}
    assert sorted(rows) == [1, 2, 3]
    assert loop.log[3]["saved_to"] == best and "saved_to" not in loop.log[4]
    assert OnLogRecord("x") == OnLogRecord("x") and not OnLogRecord("x")(loop.log)
    assert "__meta__" in load_parameters(best)
    with pytest.raises(ValueError, match="checkpoint_filename"):
        EarlyStopping("valid", checkpoint_extension=checkpoint)
