"""Shape, indexing and layout ops.

Symbolic shapes are int64 vectors (``x.shape``); their entries are int64
scalars (``x.shape[1]``) usable wherever a size is taken. Where a size is
known when the graph is built, ops keep it in their static shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import config
from .op import Op, _show, broadcast_static, static_value, upcast
from .variable import Constant, Node, TensorType, Variable, as_variable


class Shape(Op):
    """The shape of ``x`` as an int64 vector."""

    fresh_output = True

    def infer(self, x):
        return [TensorType("int64", (x.ndim,))]

    def perform(self, x):
        return np.array(x.shape, dtype=np.int64)

    def static_value(self, node, depth=8):
        shape = node.inputs[0].type.shape
        return None if None in shape else np.array(shape, dtype=np.int64)

    def vjp(self, node, grads):
        return [None]


def shape(x: Any) -> Variable:
    """The shape of ``x`` as a symbolic int64 vector of length ``x.ndim``."""
    return Shape()(as_variable(x))


def static_entries(vector: Variable, n: int) -> list[int | None]:
    """What is known at build time of the ``n`` entries of an int vector."""
    value = static_value(vector)
    if value is not None:
        return [int(v) for v in np.ravel(value)]
    owner = vector.owner
    if owner is not None and isinstance(owner.op, MakeVector):
        return [_int_or_none(static_value(i)) for i in owner.inputs]
    if owner is not None and isinstance(owner.op, Shape):
        return list(owner.inputs[0].type.shape)
    return [None] * n


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


class MakeVector(Op):
    """Pack scalars into a vector (used for shapes built from sizes)."""

    fresh_output = True

    props = ("dtype",)

    def __init__(self, dtype: Any = "int64"):
        self.dtype = np.dtype(dtype)

    def infer(self, *scalars):
        for s in scalars:
            if s.ndim != 0:
                raise self.fail(f"expected scalars, got an input of type {s.type!r}")
        return [TensorType(self.dtype, (len(scalars),))]

    def perform(self, *scalars):
        return np.array(scalars, dtype=self.dtype)

    def vjp(self, node, grads):
        if self.dtype.kind != "f":
            return [None] * len(node.inputs)
        return [grads[0][i] for i in range(len(node.inputs))]


def as_shape(dims: Any) -> Variable:
    """A shape given as a tuple of ints and scalar variables, as an int64 vector."""
    if isinstance(dims, Variable):
        return dims
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    dims = tuple(dims)
    if all(isinstance(d, (int, np.integer)) for d in dims):
        return Constant(np.array(dims, dtype=np.int64).reshape(len(dims)))
    from .elemwise import cast
    return MakeVector("int64")(*[cast(as_variable(d), "int64") for d in dims])


class Reshape(Op):
    """``x`` with a new shape (an int64 vector; one entry may be -1)."""

    passes_through = True

    def infer(self, x, new_shape):
        if new_shape.ndim != 1 or new_shape.type.shape[0] is None:
            raise self.fail("the shape must be a vector of known length")
        dims = static_entries(new_shape, new_shape.type.shape[0])
        known = None not in x.type.shape
        size = int(np.prod(x.type.shape)) if known else None
        if -1 in dims and size is not None and None not in dims:
            rest = int(np.prod([d for d in dims if d != -1]))
            dims[dims.index(-1)] = size // rest if rest else 0
        dims = [None if d == -1 else d for d in dims]
        if size is not None and None not in dims and int(np.prod(dims)) != size:
            raise self.fail(f"cannot reshape an input of shape {_show(x.type.shape)} "
                            f"into shape {_show(tuple(dims))}")
        return [TensorType(x.type.dtype, dims)]

    def perform(self, x, new_shape):
        return x.reshape(tuple(new_shape))

    def vjp(self, node, grads):
        return [reshape(grads[0], shape(node.inputs[0])), None]


def reshape(x: Any, new_shape: Any) -> Variable:
    """``x`` with the shape ``new_shape`` (a tuple of ints or scalar variables; one may be -1)."""
    return Reshape()(as_variable(x), as_shape(new_shape))


class Transpose(Op):

    passes_through = True
    props = ("axes",)

    def __init__(self, axes: tuple):
        self.axes = tuple(axes)

    def infer(self, x):
        if sorted(self.axes) != list(range(x.ndim)):
            raise self.fail(f"axes {self.axes} are not a permutation of the "
                            f"{x.ndim} axes of an input of shape {_show(x.type.shape)}")
        return [TensorType(x.type.dtype, [x.type.shape[a] for a in self.axes])]

    def perform(self, x):
        return np.transpose(x, self.axes)

    def vjp(self, node, grads):
        return [Transpose(tuple(np.argsort(self.axes)))(grads[0])]


def transpose(x: Any, axes: Sequence[int] | None = None) -> Variable:
    """``x`` with its axes permuted by ``axes`` (reversed by default)."""
    x = as_variable(x)
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(a % max(x.ndim, 1) for a in axes)
    return x if axes == tuple(range(x.ndim)) else Transpose(axes)(x)


class ExpandDims(Op):
    """Insert axes of size 1 at ``axes`` (positions in the output)."""

    passes_through = True

    props = ("axes",)

    def __init__(self, axes: tuple):
        self.axes = tuple(sorted(axes))

    def infer(self, x):
        dims = list(x.type.shape)
        for a in self.axes:
            dims.insert(a, 1)
        return [TensorType(x.type.dtype, dims)]

    def perform(self, x):
        return np.expand_dims(x, self.axes)

    def vjp(self, node, grads):
        return [reshape(grads[0], shape(node.inputs[0]))]


def expand_dims(x: Any, axis: int | Sequence[int]) -> Variable:
    """``x`` with a new axis of size 1 at ``axis`` (or at each of several axes)."""
    x = as_variable(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = x.ndim + len(axes)
    return ExpandDims(tuple(a % ndim for a in axes))(x)


def dimshuffle(x: Variable, pattern: Sequence[Any]) -> Variable:
    """Theano's dimshuffle: reorder axes, ``'x'`` inserts a broadcastable axis."""
    if len(pattern) == 1 and isinstance(pattern[0], (tuple, list)):
        pattern = pattern[0]
    kept = [p for p in pattern if p != "x"]
    dropped = [a for a in range(x.ndim) if a not in kept]
    if dropped:
        x = reshape(x, [shape(x)[a] for a in range(x.ndim) if a not in dropped])
        kept = [k - sum(1 for d in dropped if d < k) for k in kept]
    x = transpose(x, kept)
    new_axes = [i for i, p in enumerate(pattern) if p == "x"]
    return expand_dims(x, new_axes) if new_axes else x


class BroadcastTo(Op):
    """``x`` broadcast to ``shape`` (a read-only view, as in NumPy)."""

    def infer(self, x, target):
        dims = static_entries(target, target.type.shape[0])
        return [TensorType(x.type.dtype, broadcast_static(self, [x.type.shape, dims]))]

    def perform(self, x, target):
        return np.broadcast_to(x, tuple(target))

    def vjp(self, node, grads):
        return [sum_to(grads[0], node.inputs[0]), None]


def broadcast_to(x: Any, target: Any) -> Variable:
    """``x`` broadcast to the shape ``target`` (as ``np.broadcast_to``)."""
    return BroadcastTo()(as_variable(x), as_shape(target))


class SumTo(Op):
    """Sum ``g`` over the axes along which an array of ``shape`` was broadcast.

    This undoes broadcasting; the backward driver applies it once per input.
    """

    passes_through = True

    def infer(self, g, target):
        return [TensorType(g.type.dtype, static_entries(target, target.type.shape[0]))]

    def perform(self, g, target):
        target = tuple(target.tolist())
        if g.shape == target:
            return g
        lead = g.ndim - len(target)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, size in enumerate(target) if size == 1 and g.shape[lead + i] != 1)
        return g.sum(axis=axes, keepdims=True).reshape(target)

    def vjp(self, node, grads):
        return [broadcast_to(grads[0], shape(node.inputs[0])), None]


def sum_to(g: Variable, like: Variable) -> Variable:
    """``g`` summed to the shape of ``like``; no node where none can be needed."""
    if g.ndim == like.ndim and all(
            (s is not None and s != 1) or (s == 1 and t == 1)
            for s, t in zip(like.type.shape, g.type.shape)):
        return g
    return SumTo()(g, shape(like))


class Alloc(Op):
    """A new array of ``shape`` filled with ``value``."""

    fresh_output = True

    def infer(self, value, target):
        dims = static_entries(target, target.type.shape[0])
        return [TensorType(value.type.dtype, broadcast_static(self, [value.type.shape, dims]))]

    def perform(self, value, target):
        out = np.empty(tuple(target), dtype=value.dtype)
        out[...] = value
        return out

    def vjp(self, node, grads):
        return [sum_to(grads[0], node.inputs[0]), None]


def alloc(value: Any, target: Any, dtype: Any = None) -> Variable:
    """An array of shape ``target`` filled with ``value``."""
    value = as_variable(value, dtype=dtype)
    if dtype is not None and value.type.dtype != np.dtype(dtype):
        from .elemwise import cast
        value = cast(value, dtype)
    return Alloc()(value, as_shape(target))


def zeros(target: Any, dtype: Any = None) -> Variable:
    """A symbolic array of zeros; ``target`` may mix ints and symbolic sizes."""
    return alloc(Constant(0, dtype=dtype or config.floatX), target)


def ones(target: Any, dtype: Any = None) -> Variable:
    """An array of ones of shape ``target`` (ints or scalar variables such as ``x.shape[1]``)."""
    return alloc(Constant(1, dtype=dtype or config.floatX), target)


def zeros_like(x: Variable, dtype: Any = None) -> Variable:
    """Zeros of the shape (and, by default, the dtype) of ``x``."""
    return alloc(Constant(0, dtype=dtype or x.type.dtype), shape(x))


def ones_like(x: Variable, dtype: Any = None) -> Variable:
    """Ones of the shape (and, by default, the dtype) of ``x``."""
    return alloc(Constant(1, dtype=dtype or x.type.dtype), shape(x))


class Concatenate(Op):
    props = ("axis",)
    fresh_output = True
    inplace_positions = ()  # the result can go into a given array, never into an input

    def __init__(self, axis: int):
        self.axis = axis

    def make_node(self, *xs):
        from .elemwise import cast
        xs = [as_variable(x) for x in xs]
        dtype = upcast(*xs)
        xs = [cast(x, dtype) for x in xs]
        return Node(self, xs, [self._type(xs, dtype)])

    def _type(self, xs: list[Variable], dtype: np.dtype) -> TensorType:
        ndim = xs[0].ndim
        if any(x.ndim != ndim for x in xs) or not -ndim <= self.axis < ndim:
            shown = ", ".join(_show(x.type.shape) for x in xs)
            raise self.fail(f"cannot join shapes {shown} along axis {self.axis}")
        axis = self.axis % ndim
        dims = []
        for a in range(ndim):
            sizes = [x.type.shape[a] for x in xs]
            if a == axis:
                dims.append(None if None in sizes else sum(sizes))
            else:
                dims.append(broadcast_static(self, [(s,) for s in sizes if s != 1] or [(1,)])[0])
        return TensorType(dtype, dims)

    def perform(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def joins_columns(self, types):
        ndim = types[0].ndim
        return self.axis % ndim == ndim - 1 and all(t.shape[:-1] == types[0].shape[:-1] for t in types)

    def perform_into(self, out, *xs):
        """The joined array written into ``out`` (an array of the result's shape)."""
        return np.concatenate(xs, axis=self.axis, out=out)

    def vjp(self, node, grads):
        g, axis = grads[0], self.axis % node.outputs[0].ndim
        start, out = 0, []
        for x in node.inputs:
            size = x.type.shape[axis]
            stop = start + size if size is not None else start + shape(x)[axis]
            out.append(g[(slice(None),) * axis + (slice(start, stop),)])
            start = stop
        return out


def concatenate(xs: Sequence[Any], axis: int = 0) -> Variable:
    """The arrays ``xs`` joined along ``axis``; the other axes must agree."""
    xs = list(xs)
    return as_variable(xs[0]) if len(xs) == 1 else Concatenate(axis)(*xs)


def stack(xs: Sequence[Any], axis: int = 0) -> Variable:
    """The arrays ``xs`` (all of one shape) stacked along a new axis ``axis``."""
    xs = [as_variable(x) for x in xs]
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis)


class Arange(Op):
    """``numpy.arange(start, stop, step)`` for integer scalars."""

    fresh_output = True

    def infer(self, start, stop, step):
        values = [static_value(v) for v in (start, stop, step)]
        length = None if any(v is None for v in values) else len(range(*[int(v) for v in values]))
        return [TensorType("int64", (length,))]

    def perform(self, start, stop, step):
        return np.arange(start, stop, step, dtype=np.int64)

    def vjp(self, node, grads):
        return [None, None, None]


def arange(start: Any, stop: Any = None, step: Any = 1) -> Variable:
    """``start, start + step, ...`` below ``stop``, as ``np.arange`` (a vector)."""
    if stop is None:
        start, stop = 0, start
    return Arange()(*[as_variable(v, dtype="int64") if not isinstance(v, Variable) else v
                      for v in (start, stop, step)])


class Identity(Op):
    """Returns its input (a fresh node, so the result can carry its own tags)."""

    passes_through = True

    def infer(self, x):
        return [x.type]

    def perform(self, x):
        return x

    def vjp(self, node, grads):
        return [grads[0]]


def identity(x: Any) -> Variable:
    """``x`` itself, as a new variable (a node to hang a name or role on)."""
    return Identity()(as_variable(x))
