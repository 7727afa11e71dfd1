"""Exact resume: for every extension and stream kind, a run interrupted mid-epoch and resumed
from its checkpoint equals the run that was never interrupted, parameters bit for bit."""

import numpy as np
import pytest

from brickwork import initialization, tensor
from brickwork.algorithms import Adam, GradientDescent
from brickwork.bricks import MLP, Tanh
from brickwork.bricks.recurrent import CarriedStates, SimpleRecurrent
from brickwork.data import ArrayStream, CallableStream
from brickwork.extensions import (
    Checkpoint,
    DataStreamMonitoring,
    EarlyStopping,
    Extension,
    FinishAfter,
    FinishIfNoImprovementAfter,
    Load,
    Printing,
    ProgressBar,
    SharedVariableModifier,
    Timing,
    TrackTheBest,
    TrainingDataMonitoring,
)
from brickwork.main_loop import MainLoop
from brickwork.model import Model
from brickwork.roles import PARAMETER, add_role
from brickwork.tensor import RandomStreams

BATCHES_PER_EPOCH = 5


def _mlp_cost():
    mlp = MLP([Tanh(), None], [3, 6, 1], weights_init=initialization.IsotropicGaussian(0.3),
              biases_init=initialization.Constant(0), seed=4)
    mlp.initialize()
    x, y = tensor.matrix("x"), tensor.matrix("y")
    cost = ((mlp.apply(x) - y) ** 2).mean()
    cost.name = "cost"
    return cost


def _batch(rng):
    xs = rng.standard_normal((8, 3)).astype("float32")
    return {"x": xs, "y": np.sin(xs.sum(1, keepdims=True))}


def _batches():
    rng = np.random.default_rng(1)
    return [_batch(rng) for _ in range(BATCHES_PER_EPOCH)]


def _array_stream():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((40, 3)).astype("float32")
    return ArrayStream({"x": xs, "y": np.sin(xs.sum(1, keepdims=True))}, batch_size=8, seed=3)


def _global_rng_stream():
    return CallableStream(lambda: _batch(np.random), batches_per_epoch=BATCHES_PER_EPOCH)


def _own_rng_stream():
    rng = np.random.default_rng(5)
    return CallableStream(lambda: _batch(rng), batches_per_epoch=BATCHES_PER_EPOCH, rng=rng)


class ScheduledScore(Extension):
    """Logs a validation-like score that depends on the epoch only (so TrackTheBest and
    FinishIfNoImprovementAfter see a best epoch, then stalls, at known epochs)."""

    def __init__(self):
        super().__init__(after_epoch=True)

    def do(self, callback):
        epoch = self.main_loop.status["epochs_done"]
        self.log.current_row["score"] = [3.0, 2.0, 1.5, 1.7, 1.8, 1.9, 2.0, 2.1][epoch - 1]


def _mlp_run(stream, extensions=()):
    def build():
        cost = _mlp_cost()
        return cost, stream(), list(extensions(cost)) if callable(extensions) else []
    return build


def _early_stopping(cost):
    return [ScheduledScore(), TrackTheBest("score"), FinishIfNoImprovementAfter("score_best_so_far", epochs=2),
            TrainingDataMonitoring([cost], prefix="train"),
            DataStreamMonitoring([cost], _batches()[:2], prefix="valid")]


def _blocks_early_stopping(cost):
    return [ScheduledScore(), EarlyStopping("score", epochs=2), TrainingDataMonitoring([cost], prefix="train")]


def _monitoring(cost):
    return [TrainingDataMonitoring([cost], prefix="train"), TrainingDataMonitoring([cost], prefix="batch",
                                                                                  after_batch=True),
            Timing(), Printing(stream=open("/dev/null", "w")), ProgressBar()]


def _carried_states():
    rnn = SimpleRecurrent(4, Tanh(), name="rnn", weights_init=initialization.IsotropicGaussian(0.4),
                          biases_init=initialization.Constant(0), seed=2)
    rnn.initialize()
    x, y = tensor.tensor3("x"), tensor.matrix("y")
    carried = CarriedStates(rnn, batch_size=2)
    states = rnn.apply(x, **carried.initial_states())
    cost = ((states[-1][:, :1] - y) ** 2).mean()
    cost.name = "cost"
    rng = np.random.default_rng(7)
    batches = [{"x": rng.standard_normal((3, 2, 4)), "y": rng.standard_normal((2, 1))}
               for _ in range(BATCHES_PER_EPOCH)]
    return cost, batches, [], carried.updates(states)


def _draws_in_a_scan_step():
    w = tensor.shared(np.linspace(0.5, 1.5, 3), name="w")
    add_role(w, PARAMETER)
    x = tensor.matrix("x", dtype="float64")
    streams = RandomStreams(11)

    def step(x_t, h):
        return [tensor.tanh(h + w * x_t * streams.binomial(x_t.shape, p=0.6, dtype="float64"))]
    states = tensor.scan(step, sequences=[x], states=[tensor.zeros((3,), dtype="float64")])[0]
    noise = RandomStreams(13).normal(w.shape, std=0.1, dtype="float64")
    cost = ((states[-1] + noise) ** 2).sum()
    cost.name = "cost"
    rng = np.random.default_rng(8)
    return cost, [{"x": rng.standard_normal((4, 3))} for _ in range(BATCHES_PER_EPOCH)], [], []


def _modified_variable():
    """A shared variable in the cost that SharedVariableModifier decays from its old value."""
    mlp = MLP([Tanh(), None], [3, 6, 1], weights_init=initialization.IsotropicGaussian(0.3),
              biases_init=initialization.Constant(0), seed=4)
    mlp.initialize()
    x, y = tensor.matrix("x"), tensor.matrix("y")
    scale = tensor.shared(np.float32(1.0), name="scale")
    cost = ((mlp.apply(x) * scale - y) ** 2).mean()
    cost.name = "cost"
    return cost, _batches(), [SharedVariableModifier(scale, lambda n, old: old * 0.97)]


SCENARIOS = {
    "array stream": _mlp_run(_array_stream),
    "list of batches": _mlp_run(_batches),
    "callable, global numpy generator": _mlp_run(_global_rng_stream),
    "callable with its own generator": _mlp_run(_own_rng_stream),
    "TrackTheBest and FinishIfNoImprovementAfter": _mlp_run(_array_stream, _early_stopping),
    "EarlyStopping (a composite extension)": _mlp_run(_array_stream, _blocks_early_stopping),
    "monitoring, timing, printing, progress bar": _mlp_run(_batches, _monitoring),
    "SharedVariableModifier": _modified_variable,
    "CarriedStates in extra_updates": _carried_states,
    "CarriedStates through add_updates": _carried_states,
    "random draws inside a scan step and outside": _draws_in_a_scan_step,
}


class Interrupt(Extension):
    """Acts as Ctrl-C during batch ``n`` (the loop finishes the batch, checkpoints and stops)."""

    def __init__(self, n):
        super().__init__(after_batch=True)
        self.n = n

    def do(self, callback):
        if self.main_loop.status["iterations_done"] == self.n:
            self.main_loop.status["batch_interrupt_received"] = True


def _train(scenario, extra, path=None):
    """A fresh build of ``scenario`` (as a new process would make), trained for 7 epochs."""
    built = SCENARIOS[scenario]()
    cost, stream, extensions = built[:3]
    algorithm = GradientDescent(cost=cost, step_rule=Adam(0.01))
    carried = list(built[3]) if len(built) > 3 else []
    if "add_updates" in scenario:
        algorithm.add_updates(carried)
    else:
        algorithm.extra_updates = carried
    loop = MainLoop(algorithm, stream, model=Model(cost),
                    extensions=extensions + extra + [FinishAfter(after_n_epochs=7)])
    loop.run()
    return loop


def _outcome(loop):
    parameters = {name: p.get_value() for name, p in loop.model.get_parameter_dict().items()}
    state = [v.get_value() for v in loop.algorithm.state_variables()]
    ignored = {"saved_to", "time_epoch", "time_total"}
    log = {i: {k: v for k, v in row.items() if k not in ignored} for i, row in loop.log.items()}
    return parameters, state, {i: row for i, row in log.items() if row}, dict(loop.status)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("interrupt_at", [8, 15, 18])  # mid-epoch, at the last batch of one, after the best
def test_interrupted_and_resumed_equals_uninterrupted(scenario, interrupt_at, tmp_path):
    path = str(tmp_path / "checkpoint.npz")
    np.random.seed(0)
    straight = _outcome(_train(scenario, []))
    np.random.seed(0)
    first = _train(scenario, [Interrupt(interrupt_at), Checkpoint(path, every_n_epochs=100)])
    assert first.status["interrupted"] and first.status["iterations_done"] == interrupt_at
    np.random.seed(12345)  # a new process: NumPy's global generator starts elsewhere
    resumed = _train(scenario, [Load(path, must_exist=True)])
    parameters, state, log, status = _outcome(resumed)
    assert parameters.keys() == straight[0].keys()
    for name in parameters:
        np.testing.assert_array_equal(parameters[name], straight[0][name], err_msg=name)
    for ours, theirs in zip(state, straight[1]):
        np.testing.assert_array_equal(ours, theirs)
    assert log == straight[2]
    assert status == straight[3] and not status["interrupted"]


def test_time_keeps_counting_across_a_resume(tmp_path):
    path = str(tmp_path / "checkpoint.npz")
    first = _train("list of batches", [Timing(), Interrupt(12), Checkpoint(path, every_n_epochs=100)])
    before = first.log.last("time_total")
    resumed = _train("list of batches", [Timing(), Load(path)])
    totals = [row["time_total"] for _, row in sorted(resumed.log.items()) if "time_total" in row]
    assert len(totals) == 7 and totals[1] == before and totals[2] > totals[1]
