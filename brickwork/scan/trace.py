"""Tracing: a Python step function turned into a Scan node.

:func:`scan` calls the step once on placeholder variables (one slice of each
sequence, the previous value of each state) and so records a *step graph*.
Every variable the step reads that does not depend on those placeholders
(parameters, contexts, anything computed outside) is a *free variable*: it
becomes an input of the Scan node, is computed once outside the loop, and is
what the gradient reaches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import GraphError
from ..tensor.elemwise import conform
from ..tensor.shape import Shape, shape
from ..tensor.variable import Constant, TensorType, Variable, as_variable
from ..tensor.walk import clone_replace, toposort
from .op import Scan


def free_variables(outputs: Sequence[Variable], placeholders: Sequence[Variable]) -> list[Variable]:
    """The variables a step graph reads that do not depend on its placeholders.

    Nodes that depend on no placeholder and are pure are loop invariants: they
    stay outside, and their results enter the loop as free variables.
    """
    inner = {id(p) for p in placeholders}
    nodes = toposort(outputs)
    for node in nodes:
        if not node.op.pure or any(id(i) in inner for i in node.inputs):
            inner.update(id(o) for o in node.outputs)
    free: dict[int, Variable] = {}
    readers = [i for n in nodes if id(n.outputs[0]) in inner for i in n.inputs]
    for var in readers + list(outputs):
        if id(var) not in inner and not isinstance(var, Constant):
            free.setdefault(id(var), var)
    return list(free.values())


def scan(step: Callable[..., Any], sequences: Sequence[Any] = (), states: Sequence[Any] = (),
         contexts: Sequence[Any] = (), n_steps: Any = None, reverse: bool = False,
         last: Sequence[bool] | None = None) -> list[Variable]:
    """Apply ``step`` along the leading (time) axis of ``sequences``.

    Parameters
    ----------
    step : callable
        ``step(*sequence_slices, *previous_states, *contexts)`` returns the new
        states (in the order of ``states``) followed by any other outputs.
    sequences : list of Variable, each ``(time, ...)``
    states : list of Variable
        Initial states; each new state must have the same type.
    contexts : list of Variable
        Passed unchanged to every step.
    n_steps : int or scalar Variable, optional
        The number of steps; needed only when there are no sequences.
    reverse : bool
        Process the time axis back to front (outputs stay aligned with it).
    last : list of bool, optional
        Per output, True to keep only the final value (states only); outputs
        past the end of the list keep every value.

    Returns
    -------
    list of Variable
        One per output of ``step``, stacked ``(time, ...)`` unless ``last``.
    """
    sequences, states = [as_variable(s) for s in sequences], [as_variable(s) for s in states]
    seq_in, state_in = _placeholders(sequences, states)
    outputs = _traced(step, seq_in, state_in, contexts)
    outputs = _shapes_outside(outputs, seq_in, state_in, sequences)
    seq_in, sequences = _read_sequences(outputs, seq_in, state_in, sequences, n_steps is None)
    free = free_variables(outputs, seq_in + state_in)
    op = Scan(seq_in, state_in, free, outputs, reverse, _last_flags(last, len(outputs)))
    steps = as_variable(-1 if n_steps is None else n_steps, dtype="int64")
    result = op(steps, *sequences, *states, *free)
    return [result] if isinstance(result, Variable) else result


def _placeholders(sequences: list[Variable], states: list[Variable]) -> tuple[list[Variable], list[Variable]]:
    """A slice of each sequence and the previous value of each state, for the step to read."""
    for i, s in enumerate(sequences):
        if s.ndim == 0:
            raise GraphError(f"scan: sequence {i} ({s!r}) has no time axis")
    seq_in = [Variable(TensorType(s.type.dtype, s.type.shape[1:]), name=s.name and f"{s.name}[t]")
              for s in sequences]
    return seq_in, [Variable(s.type, name=s.name) for s in states]


def _traced(step: Callable[..., Any], seq_in: list[Variable], state_in: list[Variable],
            contexts: Sequence[Any]) -> list[Variable]:
    """The step's outputs on the placeholders; each new state of its state's type."""
    outputs = step(*seq_in, *state_in, *contexts)
    outputs = [outputs] if isinstance(outputs, Variable) else list(outputs)
    if len(outputs) < len(state_in):
        raise GraphError(f"scan: the step returned {len(outputs)} outputs for {len(state_in)} states")
    return [_match_state(p, as_variable(o)) for p, o in zip(state_in, outputs)] + [
        as_variable(o) for o in outputs[len(state_in):]]


def _last_flags(last: Sequence[bool] | None, n_outputs: int) -> list[bool] | None:
    """``last`` for every output: those past the end of the list keep every value."""
    if last is None:
        return None
    if len(last) > n_outputs:
        raise GraphError(f"scan: {len(last)} flags in last for {n_outputs} outputs of the step")
    return list(last) + [False] * (n_outputs - len(last))


def _shapes_outside(outputs: list[Variable], seq_in: list[Variable], state_in: list[Variable],
                    sequences: list[Variable]) -> list[Variable]:
    """The step with the shape of a sequence slice taken from the whole sequence, outside
    the loop: a gradient often reads only the shape of a slice (to undo broadcasting)."""
    positions = {id(p): i for i, p in enumerate(seq_in)}
    replace = {node.outputs[0]: shape(sequences[positions[id(node.inputs[0])]])[1:]
               for node in toposort(outputs, stop_at=seq_in + state_in)
               if isinstance(node.op, Shape) and id(node.inputs[0]) in positions}
    return clone_replace(outputs, replace) if replace else outputs


def _read_sequences(outputs: list[Variable], seq_in: list[Variable], state_in: list[Variable],
                    sequences: list[Variable], need_length: bool) -> tuple[list[Variable], list[Variable]]:
    """The sequences the step reads (and their placeholders); one is kept for its length
    when there is no ``n_steps``. A sequence nobody reads would only be kept alive."""
    read = {id(v) for node in toposort(outputs, stop_at=seq_in + state_in) for v in node.inputs}
    read.update(id(v) for v in outputs)
    used = [i for i, p in enumerate(seq_in) if id(p) in read] or ([0] if need_length and seq_in else [])
    return [seq_in[i] for i in used], [sequences[i] for i in used]


def _match_state(placeholder: Variable, new: Variable) -> Variable:
    return conform(new, placeholder, f"scan: the step's new value of {placeholder.name or 'a state'!r}")
