"""Training quick-start models: streams from arrays or callables, step rules by name, the loop."""

from __future__ import annotations

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
from ..extensions import DataStreamMonitoring, FinishAfter, Printing, TrainingDataMonitoring
from ..main_loop import MainLoop
from ..model import Model

_RATES = {"sgd": 0.01, "momentum": 0.01, "nag": 0.01, "rmsprop": 0.001, "adam": 0.001,
          "adagrad": 0.01, "adadelta": None}


class Trainable:
    """``train`` for a :class:`~brickwork.models.network.Network`."""

    def train(self, data: Any, algo: str = "rmsprop", max_updates: int = 1000, batch_size: int = 32,
              valid: Any = None, validation_split: float = 0.0, learning_rate: float | None = None,
              momentum: float = 0.9, gradient_clip: float | None = None, batches_per_epoch: int = 50,
              verbose: bool = True, extensions: Sequence[Any] = ()) -> list[dict]:
        """Train on ``data`` and return the log rows of each epoch.

        ``data`` is ``[inputs, targets]`` (or ``[inputs, mask, targets]``) as
        arrays, or a callable returning such a batch (an epoch is then
        ``batches_per_epoch`` calls). ``valid`` gives validation data the same
        way; ``validation_split`` takes it from the end of the arrays instead.
        """
        cost, target = self.cost()
        names = [v.name for v in self._inputs()] + [target.name]
        train_stream, valid = self._streams(data, valid, validation_split, batch_size, names, batches_per_epoch)
        rule = _step_rule(algo, learning_rate, momentum, gradient_clip)
        algorithm = GradientDescent(cost=cost, parameters=self.parameters, step_rule=rule)
        epochs = [TrainingDataMonitoring([cost], prefix="train")]
        if valid is not None:
            epochs.append(DataStreamMonitoring(self.metrics(), valid, prefix="valid"))
        loop = MainLoop(algorithm, train_stream, model=Model(cost),
                        extensions=epochs + [FinishAfter(after_n_batches=max_updates)]
                        + ([Printing()] if verbose else []) + list(extensions))
        loop.run()
        return [row for _, row in sorted(loop.log.items()) if "train_" + cost.name in row]

    def _streams(self, data, valid, split, batch_size, names, batches_per_epoch):
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
        train = ArrayStream(arrays, batch_size, seed=self.seed, batch_axis=axes)
        return train, ArrayStream(valid, 1024, shuffle=False, batch_axis=axes) if valid else None

    def _complete(self, batch: Any, names: list[str]) -> dict:
        """A batch as a dict by input name, with a mask of ones where none is given."""
        batch = dict(zip(names if len(batch) == len(names) else [n for n in names if n != "mask"],
                         [np.asarray(a) for a in batch]))
        if self.recurrent and "mask" not in batch:
            batch["mask"] = np.ones(batch["x"].shape[:2], dtype="float32")
        return batch

    def _batch_axis(self, name: str) -> int:
        """Examples run along axis 1 of time-major arrays, along axis 0 otherwise."""
        if not self.recurrent or (name == "y" and self.per_sequence_target):
            return 0
        return 1


def _step_rule(algo: str, learning_rate: float | None, momentum: float, clip: float | None) -> Any:
    if algo not in _RATES:
        raise BrickError(f"unknown algo {algo!r}; choose one of {sorted(_RATES)}")
    rate = learning_rate if learning_rate is not None else _RATES[algo]
    rule = {"sgd": lambda: Scale(rate), "momentum": lambda: Momentum(rate, momentum),
            "nag": lambda: Momentum(rate, momentum), "rmsprop": lambda: RMSProp(rate),
            "adam": lambda: Adam(rate), "adagrad": lambda: AdaGrad(rate),
            "adadelta": lambda: AdaDelta()}[algo]()
    return CompositeRule([StepClipping(clip), rule]) if clip else rule
