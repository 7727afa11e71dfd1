"""Layer specs to bricks: each spec becomes a stage, a list of bricks and how to apply them.

A stage's ``apply(x, mask)`` maps the previous stage's output to its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import initialization
from ..bricks import Fork, Linear, LookupTable, Tanh
from ..bricks.recurrent import LSTM, GatedRecurrent, SimpleRecurrent
from ..errors import BrickError

RECURRENT_KINDS = ("lstm", "gru", "rnn")

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

    def add(self, name: str, bricks: list, apply: Callable) -> None:
        for brick in bricks:
            brick.seed = self.seed + len(self.stages) * 101 + len(bricks)
            brick.weights_init = self.weights_init
            brick.biases_init = initialization.Constant(0)
            brick.initialize()
        self.stages.append((name, bricks, apply))

    def embed(self, vocabulary: int, dim: int) -> int:
        table = LookupTable(vocabulary, dim, name="embed")
        self.add("embed", [table], lambda x, mask, t=table: t.apply(x))
        return dim

    def stage(self, i: int, spec: Any, width: int, last: bool) -> int:
        """Add the stage of spec number ``i`` on inputs of ``width`` features; its output width."""
        if isinstance(spec, int):
            linear = Linear(width, spec, name=f"dense_{i}")
            act = None if last else Tanh(name=f"tanh_{i}")
            self.add(f"dense_{i}", [linear], lambda x, mask, l=linear, a=act:
                     l.apply(x) if a is None else a.apply(l.apply(x)))
            return spec
        kind, units = spec[0], int(spec[1])
        if kind == "lstm":
            proj, cell = Linear(width, 4 * units, name=f"lstm_{i}_in"), LSTM(units, name=f"lstm_{i}")
            self.add(f"lstm_{i}", [proj, cell], lambda x, mask, p=proj, c=cell:
                     c.apply(p.apply(x), mask=mask)[0])
            bias = proj.b.get_value()
            bias[units:2 * units] = self.forget_bias
            proj.b.set_value(bias)
        elif kind == "gru":
            fork = Fork(["inputs", "gate_inputs"], width, output_dims=[units, 2 * units], name=f"gru_{i}_in")
            cell = GatedRecurrent(units, name=f"gru_{i}")
            self.add(f"gru_{i}", [fork, cell], lambda x, mask, f=fork, c=cell:
                     c.apply(*f.apply(x), mask=mask))
        elif kind == "rnn":
            proj, cell = Linear(width, units, name=f"rnn_{i}_in"), SimpleRecurrent(units, Tanh(), name=f"rnn_{i}")
            self.add(f"rnn_{i}", [proj, cell], lambda x, mask, p=proj, c=cell: c.apply(p.apply(x), mask=mask))
        else:
            raise BrickError(f"layer {i}: unknown spec {spec!r}; use an int, ('lstm', n), "
                             "('gru', n), ('rnn', n) or a first ('embed', vocabulary, dim)")
        return units


def is_recurrent(spec: Any) -> bool:
    """Whether a layer spec makes a recurrent layer."""
    return isinstance(spec, tuple) and spec[0] in RECURRENT_KINDS
