"""Ordering and counting ops: argmin, sort, argsort, top-k, cumsum and one-hot.

Sorting is split into an integer op that finds the order (:class:`Argsort`,
:class:`ArgTopK`, no gradient) and a gather along an axis
(:class:`TakeAlongAxis`), whose vjp scatters the gradient back
(:class:`PutAlongAxis`). ``sort`` and ``top_k`` are their composition, so their
gradients (each output element's gradient goes to the element it came from)
need no code of their own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .op import Op, _show, broadcast_static
from .reduction import Argmax, normalize_axes
from .shape import shape, static_entries
from .variable import TensorType, Variable, as_variable


def _positive_axis(op: Op, x: Variable, axis: int) -> int:
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise op.fail(f"axis {axis} is out of range for an input of shape {_show(x.type.shape)}")
    return axis % x.ndim


def _require_integers(op: Op, indices: Variable, what: str) -> None:
    if indices.type.dtype.kind not in "iu":
        raise op.fail(f"{what} must be integers, got dtype {indices.type.dtype}")


class Argmin(Argmax):
    """Index of the smallest element along one axis (or of the flattened input)."""

    def perform(self, x):
        if len(self.axes) == 1:
            out = np.argmin(x, axis=self.axes[0], keepdims=self.keepdims)
        else:
            out = np.argmin(x.reshape(-1)).reshape((1,) * x.ndim if self.keepdims else ())
        return np.asarray(out, dtype=np.int64)


class Argsort(Op):
    """Indices that sort ``x`` along ``axis`` (stable; ties keep their order)."""

    props = ("axis", "descending")
    fresh_output = True

    def __init__(self, axis: int, descending: bool = False):
        self.axis, self.descending = axis, descending

    def infer(self, x):
        return [TensorType("int64", x.type.shape)]

    def perform(self, x):
        keys = _descending_keys(x) if self.descending else x
        return np.argsort(keys, axis=self.axis, kind="stable").astype(np.int64)

    def vjp(self, node, grads):
        return [None]


def _descending_keys(x: np.ndarray) -> np.ndarray:
    """Keys whose ascending order is ``x``'s descending order (no overflow for integers)."""
    return -x if x.dtype.kind == "f" else ~x if x.dtype.kind in "iu" else np.logical_not(x)


class ArgTopK(Op):
    """Indices of the ``k`` largest elements along ``axis``, largest first."""

    props = ("k", "axis")
    fresh_output = True

    def __init__(self, k: int, axis: int):
        self.k, self.axis = k, axis

    def infer(self, x):
        size = x.type.shape[self.axis]
        if size is not None and size < self.k:
            raise self.fail(f"k={self.k} is larger than axis {self.axis} of shape "
                            f"{_show(x.type.shape)}")
        dims = list(x.type.shape)
        dims[self.axis] = self.k
        return [TensorType("int64", dims)]

    def perform(self, x):
        if x.shape[self.axis] < self.k:
            raise self.fail(f"k={self.k} is larger than axis {self.axis} of an input of shape "
                            f"{x.shape}")
        keys = _descending_keys(x)
        if self.k < x.shape[self.axis]:
            candidates = np.argpartition(keys, self.k - 1, axis=self.axis)
            candidates = np.take(candidates, np.arange(self.k), axis=self.axis)
        else:
            candidates = np.broadcast_to(_arange_along(x.shape, self.axis), x.shape)
        order = np.argsort(np.take_along_axis(keys, candidates, self.axis), axis=self.axis,
                           kind="stable")
        return np.take_along_axis(candidates, order, self.axis).astype(np.int64)

    def vjp(self, node, grads):
        return [None]


def _arange_along(shape: tuple, axis: int) -> np.ndarray:
    view = [1] * len(shape)
    view[axis] = shape[axis]
    return np.arange(shape[axis]).reshape(view)


class TakeAlongAxis(Op):
    """``numpy.take_along_axis(x, indices, axis)``: a gather of one element per index."""

    props = ("axis",)
    fresh_output = True

    def __init__(self, axis: int):
        self.axis = axis

    def infer(self, x, indices):
        _require_integers(self, indices, "indices")
        if indices.ndim != x.ndim:
            raise self.fail(f"indices of shape {_show(indices.type.shape)} do not have the "
                            f"{x.ndim} axes of x {_show(x.type.shape)}")
        others = [s for a, s in enumerate(x.type.shape) if a != self.axis]
        index_others = [s for a, s in enumerate(indices.type.shape) if a != self.axis]
        broadcast_static(self, [tuple(others), tuple(index_others)])
        return [TensorType(x.type.dtype, indices.type.shape)]

    def perform(self, x, indices):
        return np.take_along_axis(x, indices, self.axis)

    def vjp(self, node, grads):
        x, indices = node.inputs
        return [PutAlongAxis(self.axis)(grads[0], indices, shape(x)), None]


class PutAlongAxis(Op):
    """Zeros of ``target_shape`` with ``g`` added where ``indices`` point (repeats add up)."""

    props = ("axis",)
    fresh_output = True

    def __init__(self, axis: int):
        self.axis = axis

    def infer(self, g, indices, target_shape):
        return [TensorType(g.type.dtype, static_entries(target_shape, g.ndim))]

    def perform(self, g, indices, target_shape):
        out = np.zeros(tuple(target_shape), dtype=g.dtype)
        np.add.at(out, _full_index(indices, self.axis), g)
        return out

    def vjp(self, node, grads):
        _, indices, _ = node.inputs
        return [TakeAlongAxis(self.axis)(grads[0], indices), None, None]


def _full_index(indices: np.ndarray, axis: int) -> tuple:
    """The fancy index that ``take_along_axis`` applies, for ``numpy.add.at``."""
    grids = np.ogrid[tuple(slice(n) for n in indices.shape)]
    return tuple(indices if a == axis else grid for a, grid in enumerate(grids))


class Cumsum(Op):
    """Running sums along ``axis``; ``reverse`` sums from the end (suffix sums)."""

    props = ("axis", "reverse")
    fresh_output = True

    def __init__(self, axis: int, reverse: bool = False):
        self.axis, self.reverse = axis, reverse

    def infer(self, x):
        dtype = np.zeros(0, x.type.dtype).cumsum().dtype
        return [TensorType(dtype, x.type.shape)]

    def perform(self, x):
        if not self.reverse:
            return np.cumsum(x, axis=self.axis)
        flipped = np.flip(x, self.axis)
        return np.flip(np.cumsum(flipped, axis=self.axis), self.axis)

    def vjp(self, node, grads):
        return [Cumsum(self.axis, not self.reverse)(grads[0])]


class OneHot(Op):
    """``(...)`` integer classes in ``[0, n)`` -> ``(..., n)`` rows of zeros with a one."""

    props = ("n", "dtype")
    fresh_output = True

    def __init__(self, n: int, dtype: Any):
        self.n, self.dtype = n, np.dtype(dtype)

    def infer(self, indices):
        _require_integers(self, indices, "classes")
        return [TensorType(self.dtype, indices.type.shape + (self.n,))]

    def perform(self, indices):
        if indices.size and (indices.min() < 0 or indices.max() >= self.n):
            bad = indices[(indices < 0) | (indices >= self.n)].ravel()[0]
            raise self.fail(f"class {bad} is outside [0, {self.n})")
        out = np.zeros(indices.shape + (self.n,), dtype=self.dtype)
        np.put_along_axis(out, indices[..., None], 1, axis=-1)
        return out

    def vjp(self, node, grads):
        return [None]


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """Index of the smallest element along ``axis`` (int64); None: of the flattened input."""
    x = as_variable(x)
    return Argmin(normalize_axes(Argmin((), False), x, axis), keepdims)(x)


def argsort(x: Any, axis: int = -1, descending: bool = False) -> Variable:
    """int64 indices, same shape as ``x``, that sort it along ``axis`` (stable)."""
    x = as_variable(x)
    return Argsort(_positive_axis(Argsort(axis), x, axis), descending)(x)


def take_along_axis(x: Any, indices: Any, axis: int) -> Variable:
    """``x`` gathered along ``axis`` at ``indices`` (same ndim as ``x``), as in NumPy."""
    x = as_variable(x)
    return TakeAlongAxis(_positive_axis(TakeAlongAxis(axis), x, axis))(x, as_variable(indices))


def sort(x: Any, axis: int = -1, descending: bool = False) -> Variable:
    """``x`` sorted along ``axis``; the gradient goes back to each element's old place."""
    return take_along_axis(x, argsort(x, axis, descending), axis)


def top_k(x: Any, k: int, axis: int = -1) -> tuple[Variable, Variable]:
    """The ``k`` largest elements along ``axis``, largest first, and their int64 indices.

    Returns ``(values, indices)``, both of ``x``'s shape with ``axis`` of size
    ``k``; ties go to the smaller index.
    """
    x = as_variable(x)
    axis = _positive_axis(ArgTopK(k, axis), x, axis)
    indices = ArgTopK(int(k), axis)(x)
    return take_along_axis(x, indices, axis), indices


def cumsum(x: Any, axis: int = 0, reverse: bool = False) -> Variable:
    """Running sums along ``axis`` (``reverse``: sums from the end)."""
    x = as_variable(x)
    return Cumsum(_positive_axis(Cumsum(axis), x, axis), reverse)(x)


def one_hot(classes: Any, n: int, dtype: Any = None) -> Variable:
    """``classes`` ``(...)`` (integers in ``[0, n)``) as one-hot rows ``(..., n)`` of ``dtype``."""
    from .. import config
    return OneHot(int(n), dtype or config.floatX)(as_variable(classes))
