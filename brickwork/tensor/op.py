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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import config
from ..errors import GraphError
from .variable import Constant, Node, TensorType, Variable, as_variable


class Op:
    """Base class of all operations.

    Attributes
    ----------
    props : tuple of str
        Names of the attributes that parametrize the op; two ops of one class
        with equal props compute the same function (used to merge duplicates).
    pure : bool
        False for ops with side effects or randomness: never merged or folded.
    broadcasts : bool
        True when the vjp returns gradients in the broadcast output shape.
    """

    props: tuple[str, ...] = ()
    pure = True
    broadcasts = False

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


def cast_weak(variables: Sequence[Variable], dtype: np.dtype) -> list[Variable]:
    """Turn weak scalar constants into constants of ``dtype``."""
    return [Constant(v.value, dtype=dtype) if _is_weak(v) else v for v in variables]


def float_dtype(dtype: np.dtype) -> np.dtype:
    """``dtype`` if floating, else ``config.floatX`` (ints become floats)."""
    return dtype if dtype.kind == "f" else np.dtype(config.floatX)


def static_value(variable: Variable, depth: int = 8) -> Any:
    """The value of ``variable`` if known at graph-building time, else None.

    Knows constants and the static entries of symbolic shapes, so that
    ``zeros((x.shape[1], 3))`` keeps a static size where ``x`` has one.
    """
    if isinstance(variable, Constant):
        return variable.value
    owner = variable.owner
    if owner is None:
        return None
    if hasattr(owner.op, "static_value"):
        return owner.op.static_value(owner)
    if depth and owner.op.pure and len(owner.outputs) == 1:
        # bounded: shape arithmetic is shallow, and deep chains must stay cheap
        values = []
        for i in owner.inputs:
            value = static_value(i, depth - 1)
            if value is None or value.size > 16:
                return None
            values.append(value)
        return np.asarray(owner.op.perform(*values))
    return None
