"""Training quick-start models like Keras' ``fit``: calls continue, early stopping, checkpoints.

What carries over from one ``train`` call to the next lives in a
:class:`TrainingSession`: the update algorithm with its step-rule state, the
log with its counters, and the position of the data stream. So ``train(n)``
then ``train(n)`` continues exactly where the first call stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..algorithms import (
    AdaDelta,
    AdaGrad,
    Adam,
    CompositeRule,
    GradientDescent,
    Momentum,
    RMSProp,
    Scale,
    StepClipping,
)
from ..data import ArrayStream, CallableStream
from ..errors import BrickError
from ..extensions import (
    DataStreamMonitoring,
    Extension,
    FinishAfter,
    FinishIfNoImprovementAfter,
    ProgressBar,
    TrackTheBest,
    TrainingDataMonitoring,
)
from ..extensions.checkpoint import restore_checkpoint
from ..graph import ComputationGraph, function
from ..main_loop import MainLoop, TrainingLog
from ..model import Model

logger = logging.getLogger(__name__)

_RATES = {"sgd": 0.01, "momentum": 0.01, "nag": 0.01, "rmsprop": 0.001, "adam": 0.001,
          "adagrad": 0.01, "adadelta": None}
DEFAULT_SETTINGS = {"algo": "rmsprop", "learning_rate": None, "momentum": 0.9, "gradient_clip": None}


class TrainingSession:
    """What one ``train`` call hands to the next.

    Attributes
    ----------
    algorithm : GradientDescent
        Holds the step rule and its state.
    settings : dict
        ``algo``, ``learning_rate``, ``momentum``, ``gradient_clip``.
    log : TrainingLog
        Rows by iteration, and the counters in ``log.status``.
    loop : MainLoop or None
        The loop of the latest call (its stream position is saved with the model).
    pending : dict or None
        Arrays of a loaded file, restored when the next loop starts.
    """

    def __init__(self, algorithm: GradientDescent, settings: dict, log: TrainingLog | None = None):
        self.algorithm, self.settings = algorithm, settings
        self.log = log if log is not None else TrainingLog()
        self.loop: MainLoop | None = None
        self.pending: dict | None = None
        self.stream_state: tuple | None = None


class ModelCheckpoint(Extension):
    """Save the model with its training state (``model.save(path)``) after every epoch,
    on Ctrl-C and at the end of training; :func:`~brickwork.models.load_model` resumes it."""

    def __init__(self, model: Any, path: str):
        super().__init__(every_n_epochs=1, on_interrupt=True, after_training=True)
        self.model, self.path = model, path

    def do(self, callback: str) -> None:
        self.model.save(self.path)


class Trainable:
    """``train``, ``evaluate`` and the data handling of a :class:`~brickwork.models.network.Network`."""

    _session: TrainingSession | None = None

    def train(self, data: Any, algo: str | None = None, max_updates: int | None = None,
              epochs: int | None = None, batch_size: int = 32, valid: Any = None,
              validation_split: float = 0.0, learning_rate: float | None = None,
              momentum: float | None = None, gradient_clip: float | None = None,
              batches_per_epoch: int = 50, patience: int | None = None, restore_best: bool = True,
              checkpoint: str | None = None, verbose: bool = True,
              extensions: Sequence[Any] = (), distributed: bool = False) -> list[dict]:
        """Train on ``data``, continuing any earlier training; return the log rows of each epoch.

        Parameters
        ----------
        data : list of arrays, or callable
            ``[inputs, targets]`` or ``[inputs, mask, targets]`` (shapes as
            :meth:`predict` takes them, targets as the loss needs them), or a
            callable returning such a batch (an epoch is then
            ``batches_per_epoch`` calls).
        algo : {'rmsprop', 'adam', 'sgd', 'momentum', 'nag', 'adagrad', 'adadelta'}, optional
            The step rule; default that of the previous call (``'rmsprop'`` at first).
            ``learning_rate``, ``momentum`` and ``gradient_clip`` (global norm)
            likewise default to the previous call's. Changing any of them starts
            a fresh step rule (its state, such as Adam's moments, restarts).
        max_updates, epochs : int, optional
            Stop after this many more updates or epochs (whichever comes first);
            1000 updates when neither is given.
        batch_size : int
        valid : list of arrays, or callable, optional
            Validation data, given as ``data``.
        validation_split : float
            Without ``valid``: the fraction of the examples, from the end of
            the arrays, held out for validation.
        patience : int, optional
            Early stopping: stop when the validation loss has not improved
            for this many epochs (needs validation data).
        restore_best : bool
            With ``patience``: end with the parameters of the epoch of the
            best validation loss.
        checkpoint : str, optional
            A file written every epoch (and on Ctrl-C) by :meth:`save`; it
            holds the training state, so ``load_model(checkpoint).train(...)``
            resumes exactly.
        verbose : bool
            A progress bar with the loss (one line per epoch when the output is
            not a terminal).
        extensions : list of Extension
            More extensions for the main loop.
        distributed : bool
            Under ``mpiexec -n N``: split each global batch of ``batch_size``
            examples, and the validation data, across the N processes and
            train data-parallel (:mod:`brickwork.distributed`); arrays only.
            Every process calls ``train``; rank 0 alone prints and writes
            the checkpoint.

        Returns
        -------
        list of dict
            One row per epoch of this call, with ``train_loss`` (the mean of
            the batch losses over the epoch), and ``valid_loss`` and the other
            metrics when there is validation data.
        """
        cost, target = self._training_cost()
        names = [v.name for v in self._inputs()] + [target.name]
        if distributed and callable(data):
            raise BrickError("train(distributed=True) splits arrays across processes; "
                             "it cannot split the batches of a callable")
        train_stream, valid_stream = self._streams(data, valid, validation_split, batch_size, names,
                                                   batches_per_epoch, distributed)
        if patience is not None and valid_stream is None:
            raise BrickError("train: patience needs validation data (valid= or validation_split=)")
        session = self._session_for({"algo": algo, "learning_rate": learning_rate,
                                     "momentum": momentum, "gradient_clip": gradient_clip}, distributed)
        loop = MainLoop(session.algorithm, train_stream, model=Model(cost))
        stopper = self._extend(loop, cost, valid_stream, max_updates, epochs, patience, restore_best)
        loop.extensions += ([ModelCheckpoint(self, checkpoint)] if checkpoint else []) \
            + ([ProgressBar()] if verbose else []) + list(extensions)
        first = self._start(session, loop)
        loop.run()
        self._finish(session, loop, stopper if restore_best else None)
        return [row for i, row in sorted(loop.log.items()) if i >= first and "train_" + cost.name in row]

    def _extend(self, loop, cost, valid_stream, max_updates, epochs, patience, restore_best):
        """Monitoring and stopping extensions; the early stopper, if any."""
        if max_updates is None and epochs is None:
            max_updates = 1000
        loop.extensions = [TrainingDataMonitoring([cost], prefix="train")]
        if valid_stream is not None:
            loop.extensions.append(DataStreamMonitoring(self._metrics(), valid_stream, prefix="valid"))
        if max_updates is not None:
            loop.extensions.append(_FinishAfterMore(after_n_batches=max_updates))
        if epochs is not None:
            loop.extensions.append(_FinishAfterMore(after_n_epochs=epochs))
        if patience is None:
            return None
        stopper = FinishIfNoImprovementAfter("valid_loss_best_so_far", epochs=patience,
                                             restore_best=restore_best)
        loop.extensions += [TrackTheBest("valid_loss"), stopper]
        return stopper

    def _start(self, session: TrainingSession, loop: MainLoop) -> int:
        """Hand the session's log and stream position to ``loop``; the first iteration it adds."""
        loop.log = session.log
        loop.status = session.log.status
        loop.status["training_finish_requested"] = False
        if session.pending is not None:
            pending, session.pending = session.pending, None
            names = set(loop.model.get_parameter_dict())
            restore_checkpoint(loop, {k: v for k, v in pending.items()
                                      if k in names or (k.startswith("__") and k != "__model__")},
                               source="the saved model", matching_extensions=True)
        elif session.stream_state is not None and session.stream_state[0] == _signature(loop.data_stream):
            loop.data_stream.set_state(session.stream_state[1])
        session.loop = loop
        return loop.status["iterations_done"] + 1

    def _finish(self, session: TrainingSession, loop: MainLoop, stopper: Any) -> None:
        """Keep the stream position; restore the best parameters if training did not end on them."""
        stream = loop.data_stream
        if hasattr(stream, "get_state"):
            session.stream_state = (_signature(stream), stream.get_state())
        if stopper is not None and stopper.best_values is not None \
                and stopper.best_epoch != loop.status["epochs_done"]:
            for param, value in zip(session.algorithm.parameters, stopper.best_values):
                param.set_value(value)
            logger.info("restored the parameters of epoch %d (best validation loss)", stopper.best_epoch)

    def _session_for(self, requested: dict, distributed: bool = False) -> TrainingSession:
        """The session to continue, or a new one if the step rule changes."""
        session, resumed = self._session, getattr(self, "_resumed", None)
        previous = session.settings if session else resumed[0] if resumed else DEFAULT_SETTINGS
        settings = {k: previous[k] if v is None else v for k, v in requested.items()}
        if session is not None and settings == session.settings and session.algorithm.distributed == distributed:
            return session
        cost, _ = self._training_cost()
        algorithm = GradientDescent(cost=cost, parameters=self.parameters, step_rule=_step_rule(**settings),
                                    distributed=distributed, count=self._cost_count() if distributed else None)
        self._session = TrainingSession(algorithm, settings, session.log if session else None)
        if resumed is not None and settings == resumed[0]:
            self._session.pending = resumed[1]
        elif session is not None or resumed is not None:
            logger.info("train: a new step rule %s; its state starts afresh", settings)
        self._resumed = None
        return self._session

    def _training_cost(self) -> tuple[Any, Any]:
        if getattr(self, "_cost_and_target", None) is None:
            self._cost_and_target = self.cost()
        return self._cost_and_target

    def _metrics(self) -> list:
        if getattr(self, "_metric_variables", None) is None:
            self._metric_variables = self.metrics()
        return self._metric_variables

    def _cost_count(self) -> Any:
        """What the loss averages over, when not the examples (for distributed training)."""
        return None

    def _streams(self, data, valid, split, batch_size, names, batches_per_epoch, distributed=False):
        if callable(data):
            stream = CallableStream(lambda: self._complete(data(), names), batches_per_epoch)
            valid = [valid() for _ in range(4)] if callable(valid) else valid
            if isinstance(valid, list) and valid and isinstance(valid[0], (list, tuple)):
                return stream, [self._complete(b, names) for b in valid]
            return stream, [self._complete(valid, names)] if valid is not None else None
        arrays = self._complete(data, names)
        axes = {name: self._batch_axis(name) for name in arrays}
        if split and valid is None:
            n = arrays["x"].shape[axes["x"]]
            cut = int(round(n * (1 - split)))
            valid = {k: np.take(v, np.arange(cut, n), axis=axes[k]) for k, v in arrays.items()}
            arrays = {k: np.take(v, np.arange(cut), axis=axes[k]) for k, v in arrays.items()}
        elif valid is not None:
            valid = self._complete(valid, names)
        train = ArrayStream(arrays, batch_size, seed=self.seed, batch_axis=axes, distributed=distributed)
        return train, (ArrayStream(valid, 1024, shuffle=False, batch_axis=axes, distributed=distributed)
                       if valid else None)

    def _complete(self, batch: Any, names: list[str]) -> dict:
        """A batch as a time-major dict by input name, with a mask of ones where none is given."""
        batch = dict(zip(names if len(batch) == len(names) else [n for n in names if n != "mask"],
                         [np.asarray(a) for a in batch]))
        batch = {k: v if k == "y" and self.per_sequence_target else self._layout(v) for k, v in batch.items()}
        if self.recurrent and "mask" not in batch:
            batch["mask"] = np.ones(batch["x"].shape[:2], dtype="float32")
        return batch

    def _batch_axis(self, name: str) -> int:
        """Examples run along axis 1 of time-major arrays, along axis 0 otherwise."""
        if not self.recurrent or (name == "y" and self.per_sequence_target):
            return 0
        return 1

    def evaluate(self, data: Any, batch_size: int | None = None) -> dict[str, float]:
        """The loss and metrics on ``data`` (given as to :meth:`train`), averaged over its examples.

        Returns
        -------
        dict
            ``{'loss': ...}`` for a :class:`Regressor`, plus ``'accuracy'``
            for a :class:`Classifier`.
        """
        names = [v.name for v in self._inputs()] + ["y"]
        batch = self._complete(data() if callable(data) else data, names)
        if getattr(self, "_evaluate_function", None) is None:
            inputs = ComputationGraph(self._metrics()).inputs
            self._evaluate_function = (inputs, function(inputs, self._metrics()))
        inputs, run = self._evaluate_function
        axes = {name: self._batch_axis(name) for name in batch}
        stream = ArrayStream(batch, batch_size or _count(batch, axes),
                             shuffle=False, batch_axis=axes)
        totals, count = np.zeros(len(self._metrics())), 0
        for part in stream:
            n = _count(part, axes)
            totals += n * np.array([float(v) for v in run(*[part[v.name] for v in inputs])])
            count += n
        return {v.name: float(t) / count for v, t in zip(self._metrics(), totals)}


def _count(batch: dict, axes: dict) -> int:
    return batch["x"].shape[axes["x"]]


def _signature(stream: Any) -> tuple:
    """What must agree for a stream position to carry over to another stream."""
    return (type(stream).__name__, getattr(stream, "n_examples", None), getattr(stream, "batch_size", None))


class _FinishAfterMore(FinishAfter):
    """:class:`FinishAfter` counting from where this call's training starts."""

    def __init__(self, after_n_epochs: int | None = None, after_n_batches: int | None = None):
        super().__init__(after_n_epochs=after_n_epochs, after_n_batches=after_n_batches)
        self.add_condition(["before_training"])
        self.more = (after_n_epochs, after_n_batches)

    def do(self, callback: str) -> None:
        if callback == "before_training":
            status = self.main_loop.status
            epochs, batches = self.more
            self.after_n_epochs = None if epochs is None else status["epochs_done"] + epochs
            self.after_n_batches = None if batches is None else status["iterations_done"] + batches
            return
        super().do(callback)


def _step_rule(algo: str, learning_rate: float | None, momentum: float, gradient_clip: float | None) -> Any:
    if algo not in _RATES:
        raise BrickError(f"unknown algo {algo!r}; choose one of {sorted(_RATES)}")
    rate = learning_rate if learning_rate is not None else _RATES[algo]
    rule = {"sgd": lambda: Scale(rate), "momentum": lambda: Momentum(rate, momentum),
            "nag": lambda: Momentum(rate, momentum), "rmsprop": lambda: RMSProp(rate),
            "adam": lambda: Adam(rate), "adagrad": lambda: AdaGrad(rate),
            "adadelta": lambda: AdaDelta()}[algo]()
    return CompositeRule([StepClipping(gradient_clip), rule]) if gradient_clip else rule
