"""A scan's step compiled for one set of argument shapes.

The first time a scan runs with given shapes, :class:`Program` builds for them:

* the step specialized to those shapes and split at the loop
  (:mod:`brickwork.scan.hoist`);
* ``before``: a compiled function from the whole sequences and the free
  variables to the hoisted values;
* ``step``: the loop body as one compiled function, which runs the first
  time step; its results give the shapes of the buffers and are checked
  against the states;
* ``loop``: the same body inside a generated loop over the other time steps,
  which writes each stacked output straight into its buffer
  (:mod:`brickwork.scan.loopgen`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..graph.compile import Function
from ..tensor.variable import Constant, TensorType, Variable
from .hoist import specialize, split, whole_type
from .loopgen import generate_loop
from .signature import ScanInputs


class _Placeholders(NamedTuple):
    """The step's inputs for one call's shapes: sequence slices, states, free values."""

    sequences: list[Variable]
    states: list[Variable]
    free: list[Variable]


class Program:
    """A scan's step compiled for the shapes of ``arrays`` (see the module doc).

    Parameters
    ----------
    op : Scan
    arrays : ScanInputs
        The arguments of the call it is compiled for.
    sizes : frozenset of int
        The free values computed from shapes: they become constants.

    Attributes
    ----------
    free : list of int
        The free values the program reads, by position (the others are constants in it).
    sequences : list of int
        The sequences the loop reads, by position (before the hoisted values).
    whole : dict of int to int
        Stacked outputs that are a sequence the loop reads (hoisted, or a sequence
        itself), by output: the position of that sequence.
    owner : dict of int to int
        For each buffer, the first output written into it (states come first):
        a state's history is its buffer's when the state owns it.
    """

    def __init__(self, op: Any, arrays: ScanInputs, sizes: frozenset[int]):
        self.free = [i for i in range(len(arrays.free)) if i not in sizes]
        inputs = _placeholders(op, arrays, self.free)
        outputs = specialize(op.step_outputs, _replacements(op, inputs, arrays, self.free, sizes), inputs.states)
        whole = [Variable(whole_type(p.type), name=p.name) for p in inputs.sequences]
        cut = split(outputs, inputs.sequences, inputs.states, inputs.free, whole)
        self.before = Function(whole + inputs.free, cut.before).program if cut.before else None
        self.sequences = cut.sequences
        loop_seqs = [inputs.sequences[i] for i in cut.sequences] + cut.hoisted
        body = Function(loop_seqs + inputs.states + inputs.free, outputs)
        self.step = body.program
        self.whole = _whole_outputs(op, outputs, loop_seqs)
        stacked = [k for k in range(len(op.last)) if _stacked(op, k) and k not in self.whole]
        self.loop = generate_loop(body, len(loop_seqs), op.n_states, stacked)
        self.buffer_of = self.loop.buffer_of
        self.owner: dict[int, int] = {}
        for k, b in self.buffer_of.items():
            self.owner.setdefault(b, k)

    def loop_sequences(self, seqs: Sequence[np.ndarray], free: Sequence[Any]) -> list:
        """The sequences the loop reads: original ones, then the hoisted values."""
        hoisted = self.before(list(seqs) + list(free)) if self.before is not None else []
        return [seqs[i] for i in self.sequences] + hoisted


def _placeholders(op: Any, arrays: ScanInputs, used: list[int]) -> _Placeholders:
    def like(p: Variable, shape: tuple) -> Variable:
        return Variable(TensorType(p.type.dtype, shape), name=p.name)
    return _Placeholders([like(p, np.shape(s)[1:]) for p, s in zip(op.seq_in, arrays.sequences)],
                         [like(p, np.shape(s)) for p, s in zip(op.state_in, arrays.states)],
                         [like(op.free[i], np.shape(arrays.free[i])) for i in used])


def _replacements(op: Any, inputs: _Placeholders, arrays: ScanInputs, used: list[int],
                  sizes: frozenset[int]) -> dict[Variable, Variable]:
    """The step's placeholders and free variables, by what the program reads instead;
    free values computed from shapes become constants: the program is for them."""
    replace = dict(zip(op.seq_in + op.state_in, inputs.sequences + inputs.states))
    replace.update((op.free[i], v) for i, v in zip(used, inputs.free))
    replace.update((op.free[i], Constant(arrays.free[i], dtype=op.free[i].type.dtype)) for i in sizes)
    return replace


def _stacked(op: Any, k: int) -> bool:
    """Whether output ``k`` is written at every step: a stacked output, or a state with history."""
    return not op.last[k] or (op.history and op.signature.is_state(k))


def _whole_outputs(op: Any, outputs: list[Variable], loop_seqs: list[Variable]) -> dict[int, int]:
    """Stacked outputs (not histories) that are a loop sequence already, by output."""
    return {k: j for k, keep_last in enumerate(op.last)
            if not keep_last and not (op.history and op.signature.is_state(k))
            for j, v in enumerate(loop_seqs) if v is outputs[k]}
