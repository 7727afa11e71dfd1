"""Layer specs to bricks: each spec becomes a stage, a list of bricks and how to apply them.

Specs (see :mod:`brickwork.models`): an int ``n`` is a dense layer;
``('lstm', n)``, ``('gru', n)``, ``('rnn', n)`` are recurrent layers and
``('bilstm', n)``, ``('bigru', n)``, ``('birnn', n)`` their bidirectional
forms (a forward and a backward layer of ``n`` units each, outputs
concatenated: ``2 n`` features); a recurrent spec may end with options,
``('lstm', n, {'recurrent_dropout': 0.2})``; ``('dropout', p)`` zeroes each
feature with probability ``p`` while training; a first ``('embed', vocabulary,
dim)`` takes integer inputs.

A stage's ``apply(x, mask, training)`` maps the previous stage's output to
its own; ``training`` switches dropout on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import initialization, tensor
from ..bricks import Fork, Linear, LookupTable, Tanh
from ..bricks.noise import Dropout
from ..errors import BrickError
from .cells import DropoutGatedRecurrent, DropoutLSTM, DropoutSimpleRecurrent

RECURRENT_KINDS = ("lstm", "gru", "rnn")
BIDIRECTIONAL_KINDS = tuple("bi" + kind for kind in RECURRENT_KINDS)
RECURRENT_OPTIONS = ("recurrent_dropout",)

Stage = tuple[str, list, Callable]


class StageBuilder:
    """Builds the stages of a network, seeding and initializing every brick.

    Parameters
    ----------
    seed : int
        Each brick's seed derives from it and the brick's position.
    forget_bias : float
        Initial bias of the LSTM forget gates.
    weights_init : initialization scheme
    """

    def __init__(self, seed: int, forget_bias: float, weights_init: Any):
        self.seed, self.forget_bias, self.weights_init = seed, forget_bias, weights_init
        self.stages: list[Stage] = []
        self.dropout = False

    def add(self, name: str, bricks: list, apply: Callable) -> None:
        """Seed and initialize ``bricks``, and append them as stage ``name``."""
        for brick in bricks:
            # a backward layer must not start as a copy of its forward twin
            brick.seed = self.seed + len(self.stages) * 101 + len(bricks) + 9973 * ("backward" in brick.name)
            brick.weights_init = self.weights_init
            brick.biases_init = initialization.Constant(0)
            brick.initialize()
        self.stages.append((name, bricks, apply))

    def embed(self, vocabulary: int, dim: int) -> int:
        """Add the embedding stage; its output width."""
        table = LookupTable(vocabulary, dim, name="embed")
        self.add("embed", [table], lambda x, mask, training, t=table: t.apply(x))
        return dim

    def stage(self, i: int, spec: Any, width: int, last: bool) -> int:
        """Add the stage of spec number ``i`` on inputs of ``width`` features; its output width."""
        if isinstance(spec, int) and not isinstance(spec, bool):
            return self._dense(i, spec, width, last)
        kind = spec[0] if isinstance(spec, tuple) and spec else None
        if kind == "dropout":
            drop = Dropout(float(spec[1]), name=f"dropout_{i}")
            self.dropout = True
            self.add(f"dropout_{i}", [drop], lambda x, mask, training, d=drop: d.apply(x) if training else x)
            return width
        if kind in RECURRENT_KINDS or kind in BIDIRECTIONAL_KINDS:
            return self._recurrent(i, kind, int(spec[1]), width, dict(spec[2]) if len(spec) > 2 else {})
        raise BrickError(f"layer {i}: unknown spec {spec!r}; use an int, ('lstm', n), ('gru', n), "
                         "('rnn', n), ('bilstm', n), ('bigru', n), ('birnn', n), ('dropout', p) "
                         "or a first ('embed', vocabulary, dim)")

    def _dense(self, i: int, units: int, width: int, last: bool) -> int:
        linear = Linear(width, units, name=f"dense_{i}")
        act = None if last else Tanh(name=f"tanh_{i}")
        self.add(f"dense_{i}", [linear], lambda x, mask, training, l=linear, a=act:
                 l.apply(x) if a is None else a.apply(l.apply(x)))
        return units

    def _recurrent(self, i: int, kind: str, units: int, width: int, options: dict) -> int:
        name = f"{kind}_{i}"
        cell_kind = kind[2:] if kind in BIDIRECTIONAL_KINDS else kind
        rate = float(options.get("recurrent_dropout", 0.0))
        directions = ["forward", "backward"] if kind in BIDIRECTIONAL_KINDS else [None]
        layers = [self._direction(name if d is None else f"{name}_{d}", cell_kind, units, width)
                  for d in directions]
        drop = Dropout(rate, name=f"{name}_recurrent_dropout") if rate else None
        self.dropout = self.dropout or drop is not None
        bricks = [b for bricks, _ in layers for b in bricks] + ([drop] if drop else [])
        runs = [run for _, run in layers]

        def apply(x: Any, mask: Any, training: bool) -> Any:
            outputs = []
            for run, reverse in zip(runs, (False, True)):
                state_mask = _state_mask(drop, x, units) if training and drop else None
                outputs.append(run(x, mask, state_mask, reverse))
            return outputs[0] if len(outputs) == 1 else tensor.concatenate(outputs, axis=-1)
        self.add(name, bricks, apply)
        for bricks_of_direction, _ in layers:
            if cell_kind == "lstm":
                bias = bricks_of_direction[0].b.get_value()
                bias[units:2 * units] = self.forget_bias
                bricks_of_direction[0].b.set_value(bias)
        return units * len(directions)

    @staticmethod
    def _direction(name: str, kind: str, units: int, width: int) -> tuple[list, Callable]:
        """The input projection and cell of one direction, and how to run them."""
        if kind == "gru":
            fork = Fork(["inputs", "gate_inputs"], width, output_dims=[units, 2 * units], name=f"{name}_in")
            cell = DropoutGatedRecurrent(units, name=name)
            return [fork, cell], lambda x, mask, m, rev: _run(cell, m, *fork.apply(x), mask=mask, reverse=rev)
        if kind == "lstm":
            proj, cell = Linear(width, 4 * units, name=f"{name}_in"), DropoutLSTM(units, name=name)
            return [proj, cell], lambda x, mask, m, rev: _run(cell, m, proj.apply(x), mask=mask, reverse=rev)[0]
        proj, cell = Linear(width, units, name=f"{name}_in"), DropoutSimpleRecurrent(units, Tanh(), name=name)
        return [proj, cell], lambda x, mask, m, rev: _run(cell, m, proj.apply(x), mask=mask, reverse=rev)


def _run(cell: Any, state_mask: Any, *args: Any, **kwargs: Any) -> Any:
    """Apply ``cell``, with the recurrent dropout mask ``state_mask`` unless it is None."""
    if state_mask is None:
        return cell.apply(*args, **kwargs)
    return cell.dropped_apply(*args, state_mask=state_mask, **kwargs)


def _state_mask(drop: Any, x: Any, units: int) -> Any:
    """A ``(batch, units)`` inverted-dropout mask drawn once, repeated over ``x``'s time axis."""
    keep = 1.0 - drop.drop_prob
    mask = drop.streams.binomial((x.shape[1], units), p=keep, dtype=x.dtype) / keep
    return tensor.broadcast_to(tensor.expand_dims(mask, 0), (x.shape[0], x.shape[1], units))


def is_recurrent(spec: Any) -> bool:
    """Whether a layer spec makes a recurrent layer."""
    return isinstance(spec, tuple) and bool(spec) and spec[0] in RECURRENT_KINDS + BIDIRECTIONAL_KINDS
