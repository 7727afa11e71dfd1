"""How a Scan node runs: a program per argument shapes, and pooled output buffers.

The first time a scan runs with given shapes it builds a :class:`_Program`
for them, kept for later calls with the same shapes:

* its step specialized to those shapes and split at the loop
  (:mod:`brickwork.scan.hoist`);
* ``before``: a compiled function from the whole sequences and the free
  variables to the hoisted values;
* ``step``: the loop body as one compiled function, which runs the first
  time step; its results give the shapes of the buffers and are checked
  against the states;
* ``loop``: the same body inside a generated loop over the other time
  steps, which writes each stacked output straight into its buffer
  (:func:`~brickwork.graph.codegen.generate_loop`).

Output buffers are pooled: a buffer from an earlier call is reused when
nothing refers to it any more (the caller dropped the result), which spares
the allocation and the page faults of fresh memory at every call.

When anything fails, the scan's plain step function runs again, interpreted,
on the arguments of the failing time step, so that the error names the op,
the time step and the shapes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ExecutionError, GraphError
from ..graph import blame
from ..graph.codegen import StepFailed
from ..graph.compile import Function
from ..tensor.shape import Shape
from ..tensor.variable import Constant, TensorType, Variable
from .hoist import specialize, split, whole_type
from .op import Scan

MAX_PROGRAMS = 32  # per scan; a new set of shapes beyond that replaces the oldest


class _Program:
    """A scan's step compiled for one set of argument shapes (see the module doc)."""

    def __init__(self, op: Scan, seqs: Sequence[np.ndarray], states: Sequence[Any], free: Sequence[Any],
                 sizes: frozenset[int]):
        seq_in = [Variable(TensorType(p.type.dtype, np.shape(s)[1:]), name=p.name) for p, s in zip(op.seq_in, seqs)]
        state_in = [Variable(TensorType(p.type.dtype, np.shape(s)), name=p.name) for p, s in zip(op.state_in, states)]
        # free values computed from shapes become constants: the program is for them
        self.free = [i for i in range(len(free)) if i not in sizes]
        free_in = [Variable(TensorType(op.free[i].type.dtype, np.shape(free[i])), name=op.free[i].name)
                   for i in self.free]
        replace = dict(zip(op.seq_in + op.state_in, seq_in + state_in))
        replace.update((op.free[i], v) for i, v in zip(self.free, free_in))
        replace.update((op.free[i], Constant(free[i], dtype=op.free[i].type.dtype)) for i in sizes)
        outputs = specialize(op.step_outputs, replace, state_in)
        whole = [Variable(whole_type(p.type), name=p.name) for p in seq_in]
        parts = split(outputs, seq_in, state_in, free_in, whole)
        self.before = Function(whole + free_in, parts.before).program if parts.before else None
        self.sequences = parts.sequences
        loop_seqs = [seq_in[i] for i in parts.sequences] + parts.hoisted
        body = Function(loop_seqs + state_in + free_in, outputs)
        self.step = body.program
        # stacked outputs that are whole sequences already (hoisted, or a sequence itself)
        history = set(range(op.n_states)) if op.history else set()
        self.whole = {k: j for k, keep_last in enumerate(op.last) if not keep_last and k not in history
                      for j, v in enumerate(loop_seqs) if v is outputs[k]}
        stacked = [k for k, keep_last in enumerate(op.last)
                   if (not keep_last or k in history) and k not in self.whole]
        self.loop, self.buffer_of = body.loop(len(loop_seqs), op.n_states, stacked)
        # the first output written into each buffer (states come first): a state's history
        # is its buffer's when the state owns it
        self.owner = {}
        for k, b in self.buffer_of.items():
            self.owner.setdefault(b, k)

    def loop_sequences(self, seqs: Sequence[np.ndarray], free: Sequence[Any]) -> list:
        """The sequences the loop reads: original ones, then the hoisted values."""
        hoisted = self.before(list(seqs) + list(free)) if self.before is not None else []
        return [seqs[i] for i in self.sequences] + hoisted


def _from_shapes(v: Variable, depth: int = 8) -> bool:
    if isinstance(v, Constant):
        return True
    owner = v.owner
    if owner is None or depth == 0 or v.type.dtype.kind not in "iu" or not owner.op.pure:
        return False
    if isinstance(owner.op, Shape):
        return True
    if isinstance(owner.op, Scan):  # the last value of a step output (a saved shape)
        op, k = owner.op, v.index
        return k < len(op.step_outputs) and op.last[k] and k >= op.n_states and _from_shapes(
            op.step_outputs[k], depth - 1)
    return all(_from_shapes(i, depth - 1) for i in owner.inputs)


class ScanRunner:
    """Runs one Scan op: ``runner(n_steps, seqs, states, free)`` gives its outputs."""

    def __init__(self, op: Scan):
        self.op = op
        # the free variables computed from shapes alone (sizes, shape vectors)
        self.sizes = frozenset(i for i, v in enumerate(op.free) if _from_shapes(v))
        self._programs: dict[tuple, _Program] = {}
        self._pool: dict[int, np.ndarray] = {}

    def __call__(self, n_steps: Any, seqs: list, states: list, free: list) -> list:
        op = self.op
        length = _length(op, seqs, n_steps)
        if length == 0:
            return self._empty(seqs, states, free)
        order = range(length - 1, -1, -1) if op.reverse else range(length)
        t = order[0]
        try:
            program = self._program(seqs, states, free)
            used = [free[i] for i in program.free]
            sequences = program.loop_sequences(seqs, used)
            results = program.step([s[t] for s in sequences] + list(states) + used)
        except Exception as error:
            self._explain(error, t, seqs, states, free)
        _check_states(op, states, results)
        buffers, bases = self._allocate(program, results, length, states)
        for k, b in program.buffer_of.items():
            buffers[b][t] = results[k]
        if length > 1:
            try:
                results = program.loop(sequences, results[:op.n_states], used, buffers, order[1:])
            except StepFailed as failure:
                shapes = {k: buffers[b].shape[1:] for k, b in program.buffer_of.items()}
                self._explain(failure.__cause__, failure.t, seqs, failure.states, free, shapes)
        outputs = []
        for k, keep_last in enumerate(op.last):
            if keep_last:
                outputs.append(np.asarray(results[k]))
            elif k in program.whole:
                outputs.append(sequences[program.whole[k]])
            else:
                outputs.append(buffers[program.buffer_of[k]])
        return outputs + [self._history(program, k, buffers, bases, states) for k in range(op.n_states)
                          if op.history]

    def _history(self, program: _Program, k: int, buffers: list, bases: list, states: list) -> np.ndarray:
        """State ``k`` with its initial value, ``(time + 1, ...)``."""
        b = program.buffer_of[k]
        if program.owner[b] == k:
            return bases[b]
        first = np.asarray(states[k])[None]  # the buffer holds another state's history
        return np.concatenate([buffers[b], first] if self.op.reverse else [first, buffers[b]])

    def _program(self, seqs: list, states: list, free: list) -> _Program:
        key = (tuple(np.shape(s)[1:] for s in seqs), tuple(np.shape(s) for s in states),
               tuple(np.asarray(f).tobytes() if i in self.sizes else np.shape(f) for i, f in enumerate(free)))
        if key not in self._programs:
            if len(self._programs) == MAX_PROGRAMS:  # forget the oldest
                del self._programs[next(iter(self._programs))]
            self._programs[key] = _Program(self.op, seqs, states, free, self.sizes)
        return self._programs[key]

    def _allocate(self, program: _Program, results: list, length: int, states: list
                  ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The buffers the loop writes into, and the arrays they are views of.

        A state's history has a row more, for its initial value, written here;
        the state's buffer is the other rows.
        """
        op, buffers, bases = self.op, [], []
        for k in (program.owner[b] for b in sorted(program.owner)):
            history = op.history and k < op.n_states
            shape = (length + history,) + np.shape(results[k])
            pooled = self._pool.get(k)
            # references to a free pooled buffer: the pool, this name and getrefcount's argument
            if pooled is None or pooled.shape != shape or sys.getrefcount(pooled) > 3:
                pooled = self._pool[k] = np.empty(shape, dtype=op.step_outputs[k].type.dtype)
            bases.append(pooled)
            if history:
                pooled[-1 if op.reverse else 0] = states[k]
                pooled = pooled[:-1] if op.reverse else pooled[1:]
            buffers.append(pooled)
        return buffers, bases

    def _empty(self, seqs: list, states: list, free: list) -> list:
        """The outputs of zero steps: the states as they were, empty stacks, and the
        last value of each integer output (a shape) as any step would give it."""
        op, outputs = self.op, []
        probe = self._probe(seqs, states, free) if op.n_states < len(op.last) else []
        for k, keep_last in enumerate(op.last):
            if keep_last:
                outputs.append(np.asarray(states[k] if k < op.n_states else probe[k]))
            else:
                shape = np.shape(states[k] if k < op.n_states else probe[k])
                outputs.append(np.empty((0,) + shape, dtype=op.step_outputs[k].type.dtype))
        return outputs + [np.asarray(s)[None] for s in states if op.history]

    def _probe(self, seqs: list, states: list, free: list) -> list:
        """The results of one step on slices of zeros: what the shapes of the outputs
        would be (a scan over no time steps has no step to take them from)."""
        slices = [np.zeros(np.shape(s)[1:], dtype=np.asarray(s).dtype) for s in seqs]
        try:
            with np.errstate(all="ignore"):  # zeros are not the user's values: no warnings
                return self.op.step_function().interpret(slices + list(states) + list(free))
        except ExecutionError as error:
            raise blame.rewrap(error, f"{self.op!r}: a scan over zero time steps takes the shapes of "
                                      f"its outputs from a step on zeros, which failed: {error}") from error

    def _explain(self, error: BaseException | None, t: int, seqs: list, states: list, free: list,
                 shapes: dict[int, tuple] | None = None) -> None:
        """Raise an ExecutionError naming the scan, the time step and the op that failed
        (or the output whose shape changed)."""
        if not isinstance(error, ExecutionError):
            try:
                results = self.op.step_function().interpret([s[t] for s in seqs] + list(states) + list(free))
            except ExecutionError as named:
                error = named
            else:
                for k, first in (shapes or {}).items():
                    if np.shape(results[k]) != first:
                        error = ExecutionError(f"output {k} has shape {np.shape(results[k])}, but {first} "
                                               "at the first step; it must keep its shape")
        if isinstance(error, GraphError):
            error = ExecutionError(str(error))
        raise blame.rewrap(error, f"{self.op!r}, at time step {t}: {error}") from error


def _length(op: Any, seqs: list[np.ndarray], n_steps: Any) -> int:
    if not seqs:
        if int(n_steps) < 0:
            raise ExecutionError(f"{op!r}: n_steps is needed when there are no sequences")
        return int(n_steps)
    lengths = {len(s) for s in seqs}
    if len(lengths) > 1:
        raise ExecutionError(f"{op!r}: sequences of different lengths {sorted(lengths)}")
    return lengths.pop()


def _check_states(op: Any, before: list, after: list) -> None:
    for k, (old, new) in enumerate(zip(before, after)):
        if np.shape(old) != np.shape(new):
            name = op.state_in[k].name or f"state {k}"
            raise ExecutionError(f"{op!r}: the step turned {name!r} of shape {np.shape(old)} "
                                 f"into shape {np.shape(new)}; a state must keep its shape")

