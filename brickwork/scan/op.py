"""The Scan op: a step graph run once per time step.

:func:`~brickwork.scan.trace.scan` traces a Python step function into a
*step graph* and a Scan node over it. Forward, the node runs the step once
per time step and stacks the outputs along a new leading time axis; how it
does that fast (the step specialized to the call's shapes, the work that
reads no state hoisted out of the loop, the loop generated as one function)
is the business of :mod:`brickwork.scan.runner`.

Backward (:meth:`Scan.vjp`, :mod:`brickwork.scan.grad`) is another scan,
over the reversed time axis, of the step's vjp graph: it carries the
gradient of each state from step to step, accumulates the gradients of the
free variables, and stacks those of the sequences (backpropagation through
time). Because that is a Scan built from ops too, gradients of gradients
work the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import GraphError
from ..graph.compile import Function
from ..tensor.op import Op, static_value
from ..tensor.shape import Shape
from ..tensor.variable import Constant, Node, TensorType, Variable, as_variable
from ..tensor.walk import clone_replace, toposort
from .runner import ScanRunner
from .signature import Signature
from .unroll import unrolled


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
    :attr:`signature` names these parts.

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
        :func:`~brickwork.scan.grad.scan_vjp`): the compiler runs this one in
        its place (``extends`` of the op protocol).
    """

    def __init__(self, seq_in: list[Variable], state_in: list[Variable], free: list[Variable],
                 step_outputs: list[Variable], reverse: bool = False,
                 last: Sequence[bool] | None = None, history: bool = False, augments: Scan | None = None):
        self.seq_in, self.state_in, self.free = seq_in, state_in, free
        self.n_states = len(state_in)
        self.step_outputs = step_outputs
        self.reverse = reverse
        self.history = history and bool(state_in)
        self.extends = augments
        self.signature = Signature(len(seq_in), len(state_in), len(free), len(step_outputs), self.history)
        self.last = tuple(last) if last is not None else (False,) * len(step_outputs)
        if any(keep and out.type.dtype.kind in "fc"
               for keep, out in zip(self.last[len(state_in):], step_outputs[len(state_in):])):
            raise GraphError("Scan: of the outputs that are not states, only integer ones (shapes) "
                             "can keep just their last value")
        inner = toposort(step_outputs, stop_at=seq_in + state_in + free)
        self.pure = all(node.op.pure for node in inner)
        self._step_function: Function | None = None
        self._runner: ScanRunner | None = None

    def _key(self) -> tuple:
        return (Scan, id(self))

    def __repr__(self) -> str:
        return (f"Scan({len(self.seq_in)} sequences, {len(self.state_in)} states, "
                f"{len(self.step_outputs)} outputs{', reverse' if self.reverse else ''}"
                f"{', history' if self.history else ''})")

    def make_node(self, *inputs: Any) -> Node:
        inputs = [as_variable(x) for x in inputs]
        parts = self.signature.inputs(inputs)
        length = next((s.type.shape[0] for s in parts.sequences if s.type.shape[0] is not None), None)
        if not parts.sequences:
            value = static_value(parts.n_steps)
            length = None if value is None else int(value)
        types = [out.type if keep_last else TensorType(out.type.dtype, (length,) + out.type.shape)
                 for out, keep_last in zip(self.step_outputs, self.last)]
        if self.history:
            rows = None if length is None else length + 1
            types += [TensorType(s.type.dtype, (rows,) + s.type.shape) for s in self.state_in]
        return Node(self, inputs, types)

    def step_function(self) -> Function:
        """The step as a plain compiled function of (slices, states, free variables).

        The fast path does not use it (see :mod:`brickwork.scan.runner`); it runs,
        interpreted, to name the op that failed when a step raises.
        """
        if self._step_function is None:
            placeholders = [Variable(v.type, name=v.name) for v in self.free]
            outputs = clone_replace(self.step_outputs, dict(zip(self.free, placeholders)))
            self._step_function = Function(self.seq_in + self.state_in + placeholders, outputs)
        return self._step_function

    @property
    def runner(self) -> ScanRunner | None:
        """What runs the scan (its compiled programs), once it has run."""
        return self._runner

    def perform(self, *inputs: Any) -> Any:
        if self._runner is None:
            self._runner = ScanRunner(self, self.sizes())
        outputs = self._runner(self.signature.inputs(inputs))
        return outputs[0] if len(outputs) == 1 else outputs

    def vjp(self, node: Node, grads: list[Variable]) -> list[Variable | None]:
        # the gradient of a scan is a scan: the two modules need each other
        from .grad import scan_vjp
        return scan_vjp(self, node, grads)

    def standing_for(self, node: Node, plain: Node) -> list[Variable]:
        """The outputs of ``node`` (of this augmented scan) for those of ``plain``: the
        plain step outputs come first, and the histories last in both."""
        mine, theirs = self.signature.outputs(node.outputs), plain.op.signature.outputs(plain.outputs)
        return mine.step[:len(theirs.step)] + mine.histories[:len(theirs.histories)]

    def inner_outputs(self) -> list[Variable]:
        return list(self.step_outputs)

    def unrolled(self, node: Node, n_steps: int) -> list[Variable]:
        return unrolled(self, node, n_steps)

    def sizes(self) -> frozenset[int]:
        """The free variables computed from shapes alone (sizes, shape vectors), by
        position: the runner compiles a program per value of those."""
        return frozenset(i for i, v in enumerate(self.free) if _from_shapes(v))

    def last_from_shapes(self, k: int, depth: int) -> bool:
        """Whether output ``k`` is the last value of a step output computed from shapes alone."""
        return (k < len(self.step_outputs) and self.last[k] and not self.signature.is_state(k)
                and _from_shapes(self.step_outputs[k], depth))


def _from_shapes(v: Variable, depth: int = 8) -> bool:
    if isinstance(v, Constant):
        return True
    owner = v.owner
    if owner is None or depth == 0 or v.type.dtype.kind not in "iu" or not owner.op.pure:
        return False
    if isinstance(owner.op, Shape):
        return True
    if isinstance(owner.op, Scan):  # the last value of a step output (a saved shape)
        return owner.op.last_from_shapes(v.index, depth - 1)
    return all(_from_shapes(i, depth - 1) for i in owner.inputs)
