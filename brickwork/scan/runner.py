"""How a Scan node runs: a program per argument shapes, and pooled output buffers.

The first time a scan runs with given shapes it compiles a
:class:`~brickwork.scan.program.Program` for them, kept for later calls with
the same shapes. The program's ``step`` runs the first time step; its
results give the shapes of the output buffers (taken from a
:class:`~brickwork.scan.pool.BufferPool`), and its generated loop runs the
other steps, writing each stacked output straight into its buffer.

When anything fails, the scan's plain step function runs again, interpreted,
on the arguments of the failing time step, so that the error names the op,
the time step and the shapes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..errors import ExecutionError, GraphError
from ..graph import blame
from .loopgen import StepFailed
from .pool import BufferPool
from .program import Compiled, Program
from .signature import ScanInputs

MAX_PROGRAMS = 32  # per scan; a new set of shapes beyond that replaces the oldest


class _FirstStep(NamedTuple):
    """The first time step of a call: the compiled program it uses throughout, the
    sequences and free values the program's loop reads, and the step's results."""

    program: Compiled
    sequences: list
    free: list
    results: list


class _Buffers(NamedTuple):
    """The buffers a call's loop writes into (``loop``), and the arrays they are views
    of (``whole``: a state's history has a row more, for its initial value)."""

    loop: list[np.ndarray]
    whole: list[np.ndarray]


class ScanRunner:
    """Runs one Scan op: ``runner(arrays)`` gives its outputs for its inputs ``arrays``
    (a :class:`~brickwork.scan.signature.ScanInputs`).

    Parameters
    ----------
    op : Scan
    sizes : frozenset of int
        The free variables computed from shapes alone, by position: a program
        is compiled per value of those (see :meth:`~brickwork.scan.op.Scan.sizes`).
    """

    def __init__(self, op: Any, sizes: frozenset[int]):
        self.op, self.sizes = op, sizes
        self._programs: dict[tuple, Program] = {}
        self._pool = BufferPool()

    def programs(self) -> list[Program]:
        """The programs compiled so far, one per set of argument shapes."""
        return list(self._programs.values())

    def __call__(self, arrays: ScanInputs) -> list:
        op = self.op
        length = _length(op, arrays)
        if length == 0:
            return self._empty(arrays)
        order = range(length - 1, -1, -1) if op.reverse else range(length)
        first = self._first_step(arrays, order[0])
        _check_states(op, arrays.states, first.results)
        buffers = self._allocate(first.program, first.results, length, arrays.states)
        for k, b in first.program.buffer_of.items():
            buffers.loop[b][order[0]] = first.results[k]
        results = self._other_steps(arrays, first, buffers, order[1:]) if length > 1 else first.results
        return self._outputs(first, results, buffers, arrays.states)

    def _first_step(self, arrays: ScanInputs, t: int) -> _FirstStep:
        try:
            shapes = self._program(arrays)
            program = shapes.current  # the fused tier may take over during the call
            free = [arrays.free[i] for i in program.free]
            sequences, free = program.prepare(arrays.sequences, free)
            results = program.step([s[t] for s in sequences] + list(arrays.states) + free)
        except Exception as error:
            self._explain(error, t, arrays)
        shapes.after_first_step(arrays, t, results)
        return _FirstStep(program, sequences, free, results)

    def _other_steps(self, arrays: ScanInputs, first: _FirstStep, buffers: _Buffers, steps: range) -> list:
        program = first.program
        try:
            return program.loop.run(first.sequences, self.op.signature.new_states(first.results), first.free,
                                    buffers.loop, steps)
        except StepFailed as failure:
            shapes = {k: buffers.loop[b].shape[1:] for k, b in program.buffer_of.items()}
            self._explain(failure.__cause__, failure.t, arrays._replace(states=failure.states), shapes)

    def _outputs(self, first: _FirstStep, results: list, buffers: _Buffers, states: list) -> list:
        op, program, outputs = self.op, first.program, []
        for k, keep_last in enumerate(op.last):
            if keep_last:
                outputs.append(np.asarray(results[k]))
            elif k in program.whole:
                outputs.append(first.sequences[program.whole[k]])
            else:
                outputs.append(buffers.loop[program.buffer_of[k]])
        return outputs + [self._history(program, k, buffers, states) for k in range(op.n_states) if op.history]

    def _history(self, program: Compiled, k: int, buffers: _Buffers, states: list) -> np.ndarray:
        """State ``k`` with its initial value, ``(time + 1, ...)``."""
        b = program.buffer_of[k]
        if program.owner[b] == k:
            return buffers.whole[b]
        first = np.asarray(states[k])[None]  # the buffer holds another state's history
        return np.concatenate([buffers.loop[b], first] if self.op.reverse else [first, buffers.loop[b]])

    def _program(self, arrays: ScanInputs) -> Program:
        key = (tuple(np.shape(s)[1:] for s in arrays.sequences), tuple(np.shape(s) for s in arrays.states),
               tuple(np.asarray(f).tobytes() if i in self.sizes else np.shape(f) for i, f in enumerate(arrays.free)))
        if key not in self._programs:
            if len(self._programs) == MAX_PROGRAMS:  # forget the oldest
                del self._programs[next(iter(self._programs))]
            self._programs[key] = Program(self.op, arrays, self.sizes)
        return self._programs[key]

    def _allocate(self, program: Compiled, results: list, length: int, states: list) -> _Buffers:
        """The buffers of this call; a state's history gets its initial value here."""
        op, buffers = self.op, _Buffers([], [])
        for k in (program.owner[b] for b in sorted(program.owner)):
            history = op.history and op.signature.is_state(k)
            whole = self._pool.take(k, (length + history,) + np.shape(results[k]), op.step_outputs[k].type.dtype)
            buffers.whole.append(whole)
            if history:
                whole[-1 if op.reverse else 0] = states[k]
                whole = whole[:-1] if op.reverse else whole[1:]
            buffers.loop.append(whole)
        return buffers

    def _empty(self, arrays: ScanInputs) -> list:
        """The outputs of zero steps: the states as they were, empty stacks, and the
        last value of each integer output (a shape) as any step would give it."""
        op = self.op
        probe = self._probe(arrays) if op.n_states < len(op.last) else []
        outputs = []
        for k, keep_last in enumerate(op.last):
            value = arrays.states[k] if op.signature.is_state(k) else probe[k]
            outputs.append(np.asarray(value) if keep_last
                           else np.empty((0,) + np.shape(value), dtype=op.step_outputs[k].type.dtype))
        return outputs + [np.asarray(s)[None] for s in arrays.states if op.history]

    def _probe(self, arrays: ScanInputs) -> list:
        """The results of one step on slices of zeros: what the shapes of the outputs
        would be (a scan over no time steps has no step to take them from)."""
        slices = [np.zeros(np.shape(s)[1:], dtype=np.asarray(s).dtype) for s in arrays.sequences]
        try:
            with np.errstate(all="ignore"):  # zeros are not the user's values: no warnings
                return self.op.step_function().interpret(slices + list(arrays.states) + list(arrays.free))
        except ExecutionError as error:
            raise blame.rewrap(error, f"{self.op!r}: a scan over zero time steps takes the shapes of "
                                      f"its outputs from a step on zeros, which failed: {error}") from error

    def _explain(self, error: BaseException | None, t: int, arrays: ScanInputs,
                 shapes: dict[int, tuple] | None = None) -> None:
        """Raise an ExecutionError naming the scan, the time step and the op that failed
        (or the output whose shape changed)."""
        if not isinstance(error, ExecutionError):
            error = self._rerun(error, t, arrays, shapes or {})
        if isinstance(error, GraphError):
            error = ExecutionError(str(error))
        raise blame.rewrap(error, f"{self.op!r}, at time step {t}: {error}") from error

    def _rerun(self, error: BaseException | None, t: int, arrays: ScanInputs,
               shapes: dict[int, tuple]) -> BaseException | None:
        """The error of step ``t`` run again, interpreted (it names the op), or of the output
        whose shape changed; ``error`` itself when the plain step runs through."""
        step = [s[t] for s in arrays.sequences] + list(arrays.states) + list(arrays.free)
        try:
            results = self.op.step_function().interpret(step)
        except ExecutionError as named:
            return named
        for k, first in shapes.items():
            if np.shape(results[k]) != first:
                error = ExecutionError(f"output {k} has shape {np.shape(results[k])}, but {first} "
                                       "at the first step; it must keep its shape")
        return error


def _length(op: Any, arrays: ScanInputs) -> int:
    if not arrays.sequences:
        if int(arrays.n_steps) < 0:
            raise ExecutionError(f"{op!r}: n_steps is needed when there are no sequences")
        return int(arrays.n_steps)
    lengths = {len(s) for s in arrays.sequences}
    if len(lengths) > 1:
        raise ExecutionError(f"{op!r}: sequences of different lengths {sorted(lengths)}")
    return lengths.pop()


def _check_states(op: Any, before: list, after: list) -> None:
    for k, (old, new) in enumerate(zip(before, after)):
        if np.shape(old) != np.shape(new):
            name = op.state_in[k].name or f"state {k}"
            raise ExecutionError(f"{op!r}: the step turned {name!r} of shape {np.shape(old)} "
                                 f"into shape {np.shape(new)}; a state must keep its shape")
