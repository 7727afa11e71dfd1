"""The Scan op: a step graph run once per time step.

:func:`scan` traces a Python step function once on placeholder variables (one
slice of each sequence, the previous value of each state) into a *step graph*.
Every variable the step reads that does not depend on those placeholders
(parameters, contexts, anything computed outside) is a *free variable*: it
becomes an input of the Scan node, is computed once outside the loop, and is
what the gradient reaches. Forward, the Scan node runs the step once per time
step and stacks the outputs along a new leading time axis; how it does that
fast (the step specialized to the call's shapes, the work that reads no state
hoisted out of the loop, the loop generated as one function) is the business
of :mod:`brickwork.scan.runner`.

Backward (:meth:`Scan.vjp`) is another scan, over the reversed time axis, of
the step's vjp graph: it carries the gradient of each state from step to
step, accumulates the gradients of the free variables, and stacks those of
the sequences (backpropagation through time). Because that is a Scan built
from ops too, gradients of gradients work the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import GraphError
from ..tensor.op import Op, static_value
from ..tensor.shape import Shape, shape
from ..tensor.variable import Constant, Node, TensorType, Variable, as_variable
from ..tensor.walk import clone_replace, toposort


class Scan(Op):
    """Run a step graph over time.

    Inputs: ``n_steps`` (int64 scalar, used when there are no sequences),
    then the sequences ``(time, ...)``, the initial states, and the free
    variables. Outputs: one per step output, stacked ``(time, ...)``, except
    states marked in ``last``, which give only their final value; then, with
    ``history``, one per state: its initial value and every new one,
    ``(time + 1, ...)``, in time order (the initial value first, or last when
    ``reverse``). The stacked states are views of the histories then, and
    the state each step read is a view too (what backpropagation needs).

    Parameters
    ----------
    seq_in, state_in : list of Variable
        Placeholders of the step graph: a sequence slice, a previous state.
    free : list of Variable
        Variables the step reads from outside; fed from the node's inputs.
    step_outputs : list of Variable
        New states first (one per ``state_in``), then other outputs.
    reverse : bool
        Run from the last time step to the first; outputs stay aligned with
        the sequences' time axis.
    last : tuple of bool
        Per output: keep only the final value (states, and integer outputs
        such as shapes, which do not change from step to step).
    history : bool
        Add the history of every state to the outputs.
    augments : Scan, optional
        The plain scan this one extends (the same step, inputs and first
        outputs, plus values saved for the backward pass, made by
        :func:`~brickwork.scan.grad.scan_vjp`): the compiler runs this
        one in its place (see :mod:`brickwork.graph.rewrites`).
    """

    def __init__(self, seq_in: list[Variable], state_in: list[Variable], free: list[Variable],
                 step_outputs: list[Variable], reverse: bool = False,
                 last: Sequence[bool] | None = None, history: bool = False, augments: Scan | None = None):
        self.seq_in, self.state_in, self.free = seq_in, state_in, free
        self.n_states = len(state_in)
        self.step_outputs = step_outputs
        self.reverse = reverse
        self.history = history and bool(state_in)
        self.augments = augments
        self.last = tuple(last) if last is not None else (False,) * len(step_outputs)
        if any(keep and out.type.dtype.kind in "fc"
               for keep, out in zip(self.last[len(state_in):], step_outputs[len(state_in):])):
            raise GraphError("Scan: of the outputs that are not states, only integer ones (shapes) "
                             "can keep just their last value")
        inner = toposort(step_outputs, stop_at=seq_in + state_in + free)
        self.pure = all(node.op.pure for node in inner)
        self._step_function = None
        self._runner = None

    def _key(self) -> tuple:
        return (Scan, id(self))

    def __repr__(self) -> str:
        return (f"Scan({len(self.seq_in)} sequences, {len(self.state_in)} states, "
                f"{len(self.step_outputs)} outputs{', reverse' if self.reverse else ''}"
                f"{', history' if self.history else ''})")

    def split(self, inputs: Sequence[Any]) -> tuple[Any, list, list, list]:
        """``inputs`` as (n_steps, sequences, initial states, free variables)."""
        a, b = 1 + len(self.seq_in), 1 + len(self.seq_in) + self.n_states
        return inputs[0], list(inputs[1:a]), list(inputs[a:b]), list(inputs[b:])

    def make_node(self, *inputs: Any) -> Node:
        inputs = [as_variable(x) for x in inputs]
        _, seqs, _, _ = self.split(inputs)
        length = next((s.type.shape[0] for s in seqs if s.type.shape[0] is not None), None)
        if not seqs:
            value = static_value(inputs[0])
            length = None if value is None else int(value)
        types = [out.type if keep_last else TensorType(out.type.dtype, (length,) + out.type.shape)
                 for out, keep_last in zip(self.step_outputs, self.last)]
        if self.history:
            rows = None if length is None else length + 1
            types += [TensorType(s.type.dtype, (rows,) + s.type.shape) for s in self.state_in]
        return Node(self, inputs, types)

    def step_function(self):
        """The step as a plain compiled function of (slices, states, free variables).

        The fast path does not use it (see :mod:`brickwork.scan.runner`); it runs,
        interpreted, to name the op that failed when a step raises.
        """
        if self._step_function is None:
            from ..graph.compile import Function
            placeholders = [Variable(v.type, name=v.name) for v in self.free]
            outputs = clone_replace(self.step_outputs, dict(zip(self.free, placeholders)))
            self._step_function = Function(self.seq_in + self.state_in + placeholders, outputs)
        return self._step_function

    def perform(self, n_steps, *inputs):
        if self._runner is None:
            from .runner import ScanRunner
            self._runner = ScanRunner(self)
        _, seqs, states, free = self.split((n_steps,) + inputs)
        outputs = self._runner(n_steps, seqs, states, free)
        return outputs[0] if len(outputs) == 1 else outputs

    def vjp(self, node, grads):
        from .grad import scan_vjp
        return scan_vjp(self, node, grads)


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
    sequences = [as_variable(s) for s in sequences]
    states = [as_variable(s) for s in states]
    for i, s in enumerate(sequences):
        if s.ndim == 0:
            raise GraphError(f"scan: sequence {i} ({s!r}) has no time axis")
    seq_in = [Variable(TensorType(s.type.dtype, s.type.shape[1:]), name=s.name and f"{s.name}[t]")
              for s in sequences]
    state_in = [Variable(s.type, name=s.name) for s in states]
    outputs = step(*seq_in, *state_in, *contexts)
    outputs = [outputs] if isinstance(outputs, Variable) else list(outputs)
    if len(outputs) < len(states):
        raise GraphError(f"scan: the step returned {len(outputs)} outputs for {len(states)} states")
    outputs = [_match_state(p, as_variable(o)) for p, o in zip(state_in, outputs)] + [
        as_variable(o) for o in outputs[len(states):]]
    outputs = _shapes_outside(outputs, seq_in, state_in, sequences)
    seq_in, sequences = _read_sequences(outputs, seq_in, state_in, sequences, n_steps is None)
    free = free_variables(outputs, seq_in + state_in)
    if last is not None:
        if len(last) > len(outputs):
            raise GraphError(f"scan: {len(last)} flags in last for {len(outputs)} outputs of the step")
        last = list(last) + [False] * (len(outputs) - len(last))
    op = Scan(seq_in, state_in, free, outputs, reverse, last)
    steps = as_variable(-1 if n_steps is None else n_steps, dtype="int64")
    result = op(steps, *sequences, *states, *free)
    return [result] if isinstance(result, Variable) else result


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
    from ..tensor.elemwise import conform
    return conform(new, placeholder, f"scan: the step's new value of {placeholder.name or 'a state'!r}")
