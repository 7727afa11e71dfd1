"""The :class:`Op` base class: what every operation of the language provides.

An op is one small class with three duties:

* ``infer(*inputs)`` returns the output :class:`TensorType` s from the input
  variables and raises :class:`GraphError` naming the op and the offending
  shapes when they do not fit; it runs once, when the graph is built;
* ``perform(*arrays)`` computes the outputs with NumPy; it runs at every call;
* ``vjp(node, output_grads)`` returns, for each input, the symbolic
  vector-Jacobian product (or ``None`` for no gradient), built from ops, so
  that gradients are graphs and can be differentiated again.

Ops whose outputs broadcast their inputs set ``broadcasts = True``: their
``vjp`` returns gradients of the broadcast shape and the backward driver sums
them back to each input's shape, in one place.

What else an op can do for the compiler (allocate its outputs, pass a view
through, write into a given array, name the ufunc it is, know its value
before running) is declared on :class:`Op` with a safe default; see its
attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import config
from ..errors import GraphError
from .variable import Constant, Node, TensorType, Variable, as_variable


class Op:
    """Base class of all operations, and the protocol between ops and the compiler.

    Everything the compiler (:mod:`brickwork.graph`) asks of an op is declared
    here, with a default that is always safe; an op overrides what it can do
    better. Nothing is probed with ``getattr``.

    Attributes
    ----------
    props : tuple of str
        Names of the attributes that parametrize the op; two ops of one class
        with equal props compute the same function (used to merge duplicates).
    pure : bool
        False for ops with side effects or randomness: never merged or folded.
    broadcasts : bool
        True when the vjp returns gradients in the broadcast output shape.
    fresh_output : bool
        Every output is an array the op allocates anew, never an input or a
        view of one. The in-place pass (:mod:`brickwork.graph.inplace`) lets
        later kernels write into such outputs.
    passes_through : bool
        The (single) output is the first input or a view of it (slices,
        reshapes, transposes): it shares that input's buffers, and may be
        written into only where the input may. An op that is neither fresh nor
        passing through may return its inputs, views of them or views that
        overlap themselves: the in-place pass never writes into its outputs.
    perform_into : callable or None
        ``perform_into(out, *arrays)``: ``perform`` with the result written
        into the array ``out`` when it fits (an input the in-place pass gives
        up, or a slice of a scan's output buffer in generated loops); it
        returns the result, which is ``out`` or, when the result does not fit,
        a new array. None (the default) when the op cannot write into a given
        array.
    inplace_positions : tuple of int or None
        The inputs ``perform_into`` may be given as ``out`` (its kernel reads
        them no more after it starts writing); None for any input. ``()``
        when the result may go into a fresh array only.
    extends : Op or None
        An op this one computes everything of, and more, on the same inputs
        (a scan that also saves values for its backward pass extends the
        plain scan). The compiler runs a node of this op in place of a node
        of ``extends`` on the same inputs (:mod:`brickwork.graph.rewrites`),
        taking the plain node's outputs from :meth:`standing_for`.
    perform_outputs : callable or None
        ``perform_outputs(*arrays, *outputs)``: a kernel that writes every
        result into arrays it is given, one per output, of the output types
        (the fused kernels of :mod:`brickwork.scan.fusion`). Generated loops
        pass slices of a scan's stacked buffers straight to it. None (the
        default) for ops that allocate their results.
    transcendental : bool
        Computing one element costs far more than an addition (``exp``,
        ``tanh``, ...): one such op alone is worth a fused kernel.

    Notes
    -----
    Ops that run a graph of their own (the scan, :mod:`brickwork.scan`) say
    so with :meth:`inner_outputs` and :meth:`unrolled`; how they run is their
    ``perform``, like any op.
    """

    props: tuple[str, ...] = ()
    pure = True
    broadcasts = False
    fresh_output = False
    passes_through = False
    perform_into: Callable[..., Any] | None = None
    inplace_positions: tuple[int, ...] | None = None
    extends: Op | None = None
    perform_outputs: Callable[..., None] | None = None
    transcendental = False

    def __call__(self, *inputs: Any) -> Variable | list[Variable]:
        node = self.make_node(*inputs)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def make_node(self, *inputs: Any) -> Node:
        """The node applying this op to ``inputs`` (made variables), with outputs of the inferred types."""
        inputs = [as_variable(x) for x in inputs]
        return Node(self, inputs, list(self.infer(*inputs)))

    def infer(self, *inputs: Variable) -> Sequence[TensorType]:
        """The output types (dtype and static shape) for these inputs; raises a clear error on a mismatch."""
        raise NotImplementedError

    def perform(self, *arrays: np.ndarray) -> Any:
        """The NumPy kernel: output arrays from input arrays (one array, or a tuple for several outputs)."""
        raise NotImplementedError

    def vjp(self, node: Node, output_grads: list[Variable]) -> list[Variable | None]:
        """The symbolic vector-Jacobian product: one gradient per input of ``node`` (None where
        there is none), given the gradients of its outputs."""
        raise NotImplementedError(f"{self} has no gradient")

    def as_ufunc(self, types: Sequence[TensorType]) -> Any:
        """The NumPy ufunc that is ``perform`` for inputs of ``types``, or None.

        Generated code calls such a ufunc directly, with ``out=`` when the
        result goes into an array given to it (see :mod:`brickwork.graph.codegen`).
        """
        return None

    def static_value(self, node: Node, depth: int = 8) -> Any:
        """The value of ``node``'s (single) output when known at graph-building time, else None.

        Constant folding (:mod:`brickwork.graph.rewrites`), shape
        specialization (:mod:`brickwork.scan.hoist`) and static shape
        inference (:func:`static_value`) rely on it. The default evaluates a
        pure op on the static values of its inputs when they are all known
        and small, looking at most ``depth`` producers back; ``depth=0`` asks
        only what the op knows by itself (the compiler's passes, which meet
        the producers first anyway). Ops that know more from types alone
        (the shape of a fully known input) override it.
        """
        if not depth or not self.pure or len(node.outputs) != 1:
            return None
        # bounded: shape arithmetic is shallow, and deep chains must stay cheap
        values = []
        for i in node.inputs:
            value = static_value(i, depth - 1)
            if value is None or value.size > 16:
                return None
            values.append(value)
        return np.asarray(self.perform(*values))

    def standing_for(self, node: Node, plain: Node) -> list[Variable]:
        """The outputs of ``node`` that stand for each output of ``plain``, in order.

        Asked only of an op with ``extends``, for ``plain``, a node of that op
        on the same inputs as ``node``.
        """
        raise NotImplementedError(f"{self!r} extends no op")

    def inner_outputs(self) -> list[Variable]:
        """The outputs of the graph this op runs inside itself (a scan's step), else none.

        Walks that must see every op descend into them, such as finding the
        random streams a graph draws from (:func:`~brickwork.tensor.random.random_streams`).
        """
        return []

    def unrolled(self, node: Node, n_steps: int) -> list[Variable] | None:
        """``node``'s outputs as a graph without this op, for an op that runs a graph
        in a loop (a scan written out for ``n_steps`` steps); None for other ops.

        :func:`~brickwork.graph.unroll.unroll` relies on it: the reference
        evaluator and the tests hold compiled loops to the unrolled graph.
        """
        return None

    def scalar_expression(self, args: Sequence[str], dtype: np.dtype) -> str | None:
        """One element of the (single) output as a scalar Python expression, or None.

        Fused kernels (:mod:`brickwork.scan.fusion`) compute a region of
        elementwise ops element by element in generated numba code; an op
        takes part when it can say what one element of its output is, given
        ``args``, the expressions of the matching elements of its inputs
        (already broadcast). ``dtype`` is the output's. The default, None,
        keeps the op out of fused kernels.
        """
        return None

    def column_slice(self, types: Sequence[TensorType]) -> tuple[int, int] | None:
        """``(start, stop)`` when the output is the columns ``start:stop`` of the last
        axis of the one input (of ``types``), every other axis whole; else None.

        Fused kernels read such a slice in place, at an offset.
        """
        return None

    def joins_columns(self, types: Sequence[TensorType]) -> bool:
        """Whether the output is the inputs (of ``types``) joined along their last axis.

        Fused kernels write each input into its columns of the result.
        """
        return False

    def _key(self) -> tuple:
        return (type(self),) + tuple(_hashable(getattr(self, p)) for p in self.props)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Op) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        args = ", ".join(f"{p}={getattr(self, p)!r}" for p in self.props)
        return f"{type(self).__name__}({args})"

    def fail(self, message: str) -> GraphError:
        """An error about this op, for ``raise self.fail(...)``."""
        return GraphError(f"{type(self).__name__}: {message}")


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, np.ndarray):
        return (value.shape, value.tobytes())
    return value


def broadcast_shapes(op: Op, *variables: Variable) -> tuple[int | None, ...]:
    """The static shape of broadcasting ``variables`` together, NumPy style."""
    return broadcast_static(op, [v.type.shape for v in variables])


def broadcast_static(op: Op, shapes: Sequence[tuple]) -> tuple[int | None, ...]:
    """Broadcast static shapes; a GraphError names ``op`` and all shapes on a clash."""
    ndim = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    out = []
    for sizes in zip(*padded):
        known = {s for s in sizes if s is not None and s != 1}
        if len(known) > 1:
            shown = " and ".join(_show(p) for p in padded)
            raise op.fail(f"shapes {shown} do not broadcast")
        if known:
            out.append(known.pop())
        elif all(s == 1 for s in sizes):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


def _show(shape: tuple) -> str:
    inner = ", ".join("?" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def upcast(*variables: Variable) -> np.dtype:
    """The common dtype of ``variables``.

    As in NumPy 2, Python scalars (weak constants) do not widen arrays
    (``x * 2.0`` stays float32). As in PyTorch and JAX, an integer array met
    by a float array takes the float's dtype (``int64 + float32`` is float32),
    so that dividing by a symbolic size does not silently double precision.
    """
    strong = [v.type.dtype for v in variables if not _is_weak(v)]
    weak = [v.value.item() for v in variables if _is_weak(v)]
    floats = [d for d in strong if d.kind in "fc"]
    if floats:
        strong = floats
    if not strong:
        return np.result_type(*weak)
    return np.result_type(*strong, *weak)


def _is_weak(v: Variable) -> bool:
    return isinstance(v, Constant) and v.weak


def float_dtype(dtype: np.dtype) -> np.dtype:
    """``dtype`` if floating, else ``config.floatX`` (ints become floats)."""
    return dtype if dtype.kind == "f" else np.dtype(config.floatX)


def static_value(variable: Variable, depth: int = 8) -> Any:
    """The value of ``variable`` if known at graph-building time, else None.

    Knows constants and the static entries of symbolic shapes, so that
    ``zeros((x.shape[1], 3))`` keeps a static size where ``x`` has one (see
    :meth:`Op.static_value`).
    """
    if isinstance(variable, Constant):
        return variable.value
    owner = variable.owner
    return None if owner is None else owner.op.static_value(owner, depth)
