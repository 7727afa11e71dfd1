"""The base of the quick-start models: bricks from layer specs, ``predict`` and ``summary``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import initialization, tensor
from ..bricks import Fork
from ..bricks.noise import Dropout
from ..graph import function
from ..graph.diagram import brick_diagram
from ..serialization import brick_parameters
from .persistence import save_model
from .spec_check import check_layers
from .specs import StageBuilder, is_recurrent
from .training import Trainable


class Network(Trainable):
    """Bricks built from layer specs; see :mod:`brickwork.models`.

    Parameters
    ----------
    layers : list of specs
    seed : int
        Seeds the initial weights, the dropout masks and the shuffling.
    forget_bias : float
        Initial bias of the LSTM forget gates.
    weights_init : initialization scheme, optional
        Glorot uniform by default.
    time_major : bool
        Recurrent models: ``True`` (default) for sequences as ``(time,
        batch, ...)`` arrays (masks ``(time, batch)``), ``False`` for
        batch-major ``(batch, time, ...)`` arrays as Keras takes them;
        :meth:`predict` answers in the same layout.
    """

    def __init__(self, layers: Sequence[Any], seed: int = 1, forget_bias: float = 1.0,
                 weights_init: Any = None, time_major: bool = True):
        self.specs = check_layers(layers)
        self.seed, self.forget_bias, self.time_major = seed, forget_bias, time_major
        self.weights_init = weights_init or initialization.GlorotUniform()
        builder = StageBuilder(seed, forget_bias, self.weights_init)
        self.embedded = isinstance(self.specs[0], tuple)
        width = builder.embed(self.specs[0][1], self.specs[0][2]) if self.embedded else int(self.specs[0])
        self.widths = [width] if self.embedded else []
        for i, spec in enumerate(self.specs[1:], start=1):
            width = builder.stage(i, spec, width, last=i == len(self.specs) - 1)
            self.widths.append(width)
        self.stages, self.dropout = builder.stages, builder.dropout
        self.recurrent = any(is_recurrent(s) for s in self.specs[1:])
        self.output_dim = width
        self._build()

    def _build(self) -> None:
        dtype = "int64" if self.embedded else None
        if self.recurrent:
            self.x = tensor.matrix("x", dtype=dtype) if self.embedded else tensor.tensor3("x")
            self.mask = tensor.matrix("mask")
        else:
            self.x = tensor.vector("x", dtype=dtype) if self.embedded else tensor.matrix("x")
            self.mask = None
        self.output = self._forward(training=False)
        self.train_output = self._forward(training=True) if self.dropout else self.output
        self._predict = None

    def _forward(self, training: bool) -> Any:
        h = self.x
        for _, _, apply in self.stages:
            h = apply(h, self.mask, training)
        return h

    @property
    def parameters(self) -> list:
        """Every parameter of every brick, stage by stage."""
        return [p for _, bricks, _ in self.stages for p in brick_parameters(bricks)]

    @property
    def bricks(self) -> list:
        """The top-level bricks, stage by stage."""
        return [b for _, bricks, _ in self.stages for b in bricks]

    def options(self) -> dict[str, Any]:
        """The constructor's options other than the layers, as saved with the model."""
        return {"seed": self.seed, "forget_bias": self.forget_bias, "time_major": self.time_major}

    def save(self, path: str) -> None:
        """Save to one ``.npz`` file; :func:`~brickwork.models.load_model` reads it back.

        The file holds the specs and options, the parameters and, once the
        model has trained, the training state (see
        :mod:`brickwork.models.persistence`); no pickles.
        """
        save_model(self, path)

    def _inputs(self) -> list:
        return [self.x] + ([self.mask] if self.recurrent else [])

    def _layout(self, array: Any) -> np.ndarray:
        """A per-step array between the user's layout and the time-major one (both ways)."""
        array = np.asarray(array)
        return array if self.time_major or not self.recurrent else np.swapaxes(array, 0, 1)

    def predict(self, x: Any, mask: Any = None, batch_size: int | None = None) -> np.ndarray:
        """Run the model on ``x``; works before training too.

        Parameters
        ----------
        x : array
            ``(time, batch, features)`` for recurrent models (``(time, batch)``
            integers with an embedding; ``(batch, time, ...)`` with
            ``time_major=False``), ``(batch, features)`` otherwise.
        mask : array ``(time, batch)``, optional
            1 where a sequence has data; all ones by default.
        batch_size : int, optional
            Run this many examples at a time (less memory); all at once by default.

        Returns
        -------
        array
            As :meth:`prediction` describes, in the layout of ``x``.
        """
        if self._predict is None:
            self._predict = function(self._inputs(), self.prediction())
        arrays = [self._layout(x)]
        if self.recurrent:
            arrays.append(np.ones(arrays[0].shape[:2], dtype="float32") if mask is None else self._layout(mask))
        axis, size = (1 if self.recurrent else 0), arrays[0].shape[1 if self.recurrent else 0]
        step = batch_size or size
        parts = [self._predict(*[np.take(a, np.arange(i, min(i + step, size)), axis=axis) for a in arrays])
                 for i in range(0, size, step)]
        result = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=self.output_batch_axis)
        return self._layout(result) if self.output_batch_axis == 1 else result

    def summary(self) -> str:
        """A table of the stages: their bricks with sizes, output shapes and parameter counts.

        The shapes are in the layout :meth:`predict` takes and returns
        (``time_major``); the last row with a shape is what :meth:`predict`
        returns.
        """
        rows, total = [("layer", "bricks", "output", "parameters")], 0
        for (name, bricks, _), width in zip(self.stages, self.widths):
            count = sum(int(np.prod(p.get_value(borrow=True).shape)) for p in brick_parameters(bricks))
            total += count
            rows.append((name, ", ".join(_describe(b) for b in bricks), self._shape(width, True), str(count)))
        rows += self._prediction_rows() + [("total", "", "", str(total))]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)

    def diagram(self) -> Any:
        """The brick-level diagram of :meth:`predict`'s graph (``.to_dot()``, ``.save_png(path)``).

        See :func:`brickwork.graph.diagram.brick_diagram`.
        """
        prediction = self.prediction()
        prediction.name = "prediction"
        return brick_diagram(prediction, describe=_describe)

    def _shape(self, width: int, per_step: bool) -> str:
        if not (self.recurrent and per_step):
            return f"(batch, {width})"
        return f"(time, batch, {width})" if self.time_major else f"(batch, time, {width})"

    def _prediction_rows(self) -> list[tuple[str, str, str, str]]:
        """Rows for what :meth:`predict` adds after the last stage (none by default)."""
        return []


def _describe(brick: Any) -> str:
    """A brick with its sizes, as the summary shows it."""
    if isinstance(brick, Dropout):
        kind = "recurrent dropout" if brick.name.endswith("recurrent_dropout") else "Dropout"
        return f"{kind}(p={brick.drop_prob:g})"
    if isinstance(brick, Fork):
        return f"Fork({brick.input_dim} => {', '.join(str(d) for d in brick.output_dims)})"
    return repr(brick)
