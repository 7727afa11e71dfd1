"""Quick-start models from layer specs, for users of theanets and Keras.

``Regressor(layers=[1, ('lstm', 10), 1])`` reads: inputs with 1 feature, an
LSTM of 10 units, a linear output of 1 feature. Specs: an int is a dense
layer (tanh when hidden, linear at the output); ``('lstm', n)``,
``('gru', n)``, ``('rnn', n)`` are recurrent layers, each preceded by its own
input projection; a first spec ``('embed', vocabulary, dim)`` takes integer
inputs. Recurrent models work on time-major ``(time, batch, features)``
arrays; a ``(time, batch)`` mask may mark padding.

A :class:`Regressor` predicts at every time step and minimizes the mean
squared error. A :class:`Classifier` predicts one class per sequence, from
the last time step (masked sequences keep their last state frozen, so that is
their last real step), or per example for dense-only models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import initialization, tensor
from .algorithms import (
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
from .bricks import Fork, Linear, LookupTable, Tanh
from .bricks.recurrent import LSTM, GatedRecurrent, SimpleRecurrent
from .data import ArrayStream, CallableStream
from .errors import BrickError
from .extensions import DataStreamMonitoring, FinishAfter, Printing, TrainingDataMonitoring
from .graph import function
from .main_loop import MainLoop
from .model import Model

_RATES = {"sgd": 0.01, "momentum": 0.01, "nag": 0.01, "rmsprop": 0.001, "adam": 0.001,
          "adagrad": 0.01, "adadelta": None}


class _Network:
    """Bricks built from layer specs; see the module doc."""

    loss_name = "loss"

    def __init__(self, layers: Sequence[Any], seed: int = 1, forget_bias: float = 1.0,
                 weights_init: Any = None):
        self.specs = list(layers)
        self.seed, self.forget_bias = seed, forget_bias
        self.weights_init = weights_init or initialization.GlorotUniform()
        self.stages: list[tuple[str, list, Callable]] = []
        self.embedded = isinstance(self.specs[0], tuple)
        width = self.specs[0][2] if self.embedded else int(self.specs[0])
        if self.embedded:
            table = LookupTable(self.specs[0][1], width, name="embed")
            self._add("embed", [table], lambda x, mask, t=table: t.apply(x))
        for i, spec in enumerate(self.specs[1:], start=1):
            width = self._stage(i, spec, width, last=i == len(self.specs) - 1)
        self.recurrent = any(isinstance(s, tuple) and s[0] in ("lstm", "gru", "rnn") for s in self.specs[1:])
        self.output_dim = width
        self._build()

    def _add(self, name: str, bricks: list, apply: Callable) -> None:
        for brick in bricks:
            brick.seed = self.seed + len(self.stages) * 101 + len(bricks)
            brick.weights_init = self.weights_init
            brick.biases_init = initialization.Constant(0)
            brick.initialize()
        self.stages.append((name, bricks, apply))

    def _stage(self, i: int, spec: Any, width: int, last: bool) -> int:
        if isinstance(spec, int):
            linear = Linear(width, spec, name=f"dense_{i}")
            act = None if last else Tanh(name=f"tanh_{i}")
            self._add(f"dense_{i}", [linear], lambda x, mask, l=linear, a=act:
                      l.apply(x) if a is None else a.apply(l.apply(x)))
            return spec
        kind, units = spec[0], int(spec[1])
        if kind == "lstm":
            proj, cell = Linear(width, 4 * units, name=f"lstm_{i}_in"), LSTM(units, name=f"lstm_{i}")
            self._add(f"lstm_{i}", [proj, cell], lambda x, mask, p=proj, c=cell:
                      c.apply(p.apply(x), mask=mask)[0])
            bias = proj.b.get_value()
            bias[units:2 * units] = self.forget_bias
            proj.b.set_value(bias)
        elif kind == "gru":
            fork = Fork(["inputs", "gate_inputs"], width, [units, 2 * units], name=f"gru_{i}_in")
            cell = GatedRecurrent(units, name=f"gru_{i}")
            self._add(f"gru_{i}", [fork, cell], lambda x, mask, f=fork, c=cell:
                      c.apply(*f.apply(x), mask=mask))
        elif kind == "rnn":
            proj, cell = Linear(width, units, name=f"rnn_{i}_in"), SimpleRecurrent(units, Tanh(), name=f"rnn_{i}")
            self._add(f"rnn_{i}", [proj, cell], lambda x, mask, p=proj, c=cell: c.apply(p.apply(x), mask=mask))
        else:
            raise BrickError(f"layer {i}: unknown spec {spec!r}; use an int, ('lstm', n), "
                             "('gru', n), ('rnn', n) or a first ('embed', vocabulary, dim)")
        return units

    def _build(self) -> None:
        dtype = "int64" if self.embedded else None
        if self.recurrent:
            self.x = tensor.matrix("x", dtype=dtype) if self.embedded else tensor.tensor3("x")
            self.mask = tensor.matrix("mask")
        else:
            self.x = tensor.vector("x", dtype=dtype) if self.embedded else tensor.matrix("x")
            self.mask = None
        h = self.x
        for _, _, apply in self.stages:
            h = apply(h, self.mask)
        self.output = h
        self._predict = None

    @property
    def parameters(self) -> list:
        return [p for _, bricks, _ in self.stages for b in bricks for p in _all_parameters(b)]

    def _inputs(self) -> list:
        return [self.x] + ([self.mask] if self.recurrent else [])

    def predict(self, x: Any, mask: Any = None) -> np.ndarray:
        """Run the model; works before training too."""
        if self._predict is None:
            self._predict = function(self._inputs(), self.prediction())
        x = np.asarray(x)
        if self.recurrent and mask is None:
            mask = np.ones(x.shape[:2], dtype="float32")
        return self._predict(*([x, mask] if self.recurrent else [x]))

    def summary(self) -> str:
        """A table of the layers, their bricks, output sizes and parameter counts."""
        rows, total = [("layer", "bricks", "output", "parameters")], 0
        for name, bricks, _ in self.stages:
            count = sum(int(np.prod(p.get_value(borrow=True).shape)) for b in bricks for p in _all_parameters(b))
            total += count
            last = bricks[-1]
            size = getattr(last, "dim", None) or getattr(last, "output_dim", "?")
            shape = f"(time, batch, {size})" if self.recurrent else f"(batch, {size})"
            rows.append((name, ", ".join(repr(b) for b in bricks), shape, str(count)))
        rows.append(("total", "", "", str(total)))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)

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
        if not self.recurrent or (name == "y" and isinstance(self, Classifier)):
            return 0
        return 1


def _all_parameters(brick: Any) -> list:
    return list(brick.parameters) + [p for c in brick.children for p in _all_parameters(c)]


def _step_rule(algo: str, learning_rate: float | None, momentum: float, clip: float | None) -> Any:
    if algo not in _RATES:
        raise BrickError(f"unknown algo {algo!r}; choose one of {sorted(_RATES)}")
    rate = learning_rate if learning_rate is not None else _RATES[algo]
    rule = {"sgd": lambda: Scale(rate), "momentum": lambda: Momentum(rate, momentum),
            "nag": lambda: Momentum(rate, momentum), "rmsprop": lambda: RMSProp(rate),
            "adam": lambda: Adam(rate), "adagrad": lambda: AdaGrad(rate),
            "adadelta": lambda: AdaDelta()}[algo]()
    return CompositeRule([StepClipping(clip), rule]) if clip else rule


class Regressor(_Network):
    """Predicts real targets (at every time step, for recurrent models); loss: mean squared error."""

    def prediction(self) -> Any:
        return self.output

    def cost(self) -> tuple[Any, Any]:
        y = tensor.tensor3("y") if self.recurrent else tensor.matrix("y")
        error = (self.output - y) ** 2
        if self.recurrent:
            error = error * tensor.expand_dims(self.mask, -1)
            cost = error.sum() / (self.mask.sum() * self.output_dim)
        else:
            cost = error.mean()
        cost.name = "loss"
        return cost, y

    def metrics(self) -> list:
        return [self.cost()[0]]


class Classifier(_Network):
    """Predicts a class per example (per sequence, from its last step); loss: cross-entropy."""

    def _scores(self) -> Any:
        return self.output[-1] if self.recurrent else self.output

    def prediction(self) -> Any:
        return tensor.softmax(self._scores())

    def cost(self) -> tuple[Any, Any]:
        y = tensor.lvector("y")
        scores = self._scores()
        log_p = tensor.log_softmax(scores)
        cost = -log_p[tensor.arange(log_p.shape[0]), y].mean()
        cost.name = "loss"
        return cost, y

    def metrics(self) -> list:
        cost, y = self.cost()
        accuracy = tensor.cast(tensor.eq(self._scores().argmax(axis=-1), y), "float32").mean()
        accuracy.name = "accuracy"
        return [cost, accuracy]
