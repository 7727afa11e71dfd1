"""Reductions along axes: sum, mean, max, min, argmax and norms."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .elemwise import cast, eq, sqrt, where
from .op import Op, _show
from .shape import broadcast_to, expand_dims, shape
from .variable import TensorType, Variable, as_variable


def normalize_axes(op: Op, x: Variable, axis: Any) -> tuple[int, ...]:
    """``axis`` (None, an int or ints; negatives allowed) as sorted positive axes."""
    if axis is None:
        return tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not -x.ndim <= a < builtins.max(x.ndim, 1):
            raise op.fail(f"axis {a} is out of range for an input of shape {_show(x.type.shape)}")
    return tuple(sorted({int(a) % builtins.max(x.ndim, 1) for a in axes}))


class Reduction(Op):
    """Base of ops that reduce ``axes``, keeping them as size 1 if ``keepdims``."""

    props = ("axes", "keepdims")
    fresh_output = True
    dtype_of: Any = None

    def __init__(self, axes: tuple[int, ...], keepdims: bool = False):
        self.axes = axes
        self.keepdims = keepdims

    def infer(self, x):
        dims = [1 if a in self.axes else s for a, s in enumerate(x.type.shape)]
        if not self.keepdims:
            dims = [s for a, s in enumerate(dims) if a not in self.axes]
        dtype = self.dtype_of(x.type.dtype) if self.dtype_of else x.type.dtype
        return [TensorType(dtype, dims)]

    def expand(self, g: Variable) -> Variable:
        """``g`` with the reduced axes restored as size 1."""
        return g if self.keepdims or not self.axes else expand_dims(g, self.axes)


class Sum(Reduction):
    dtype_of = staticmethod(lambda d: np.zeros(0, d).sum().dtype)

    def perform(self, x):
        return np.asarray(np.sum(x, axis=self.axes, keepdims=self.keepdims))

    def vjp(self, node, grads):
        x = node.inputs[0]
        return [broadcast_to(self.expand(grads[0]), shape(x))]


class Max(Reduction):
    """Maximum; the gradient goes to every element equal to the maximum."""

    def perform(self, x):
        return np.asarray(np.max(x, axis=self.axes, keepdims=self.keepdims))

    def vjp(self, node, grads):
        x = node.inputs[0]
        winners = eq(x, self.expand(node.outputs[0]))
        return [where(winners, self.expand(grads[0]), 0)]


class Min(Max):
    def perform(self, x):
        return np.asarray(np.min(x, axis=self.axes, keepdims=self.keepdims))


class Argmax(Reduction):
    props = ("axes", "keepdims")
    dtype_of = staticmethod(lambda d: np.dtype("int64"))

    def infer(self, x):
        if len(self.axes) != 1 and self.axes != tuple(range(x.ndim)):
            raise self.fail("argmax takes one axis or all of them")
        return super().infer(x)

    def perform(self, x):
        if len(self.axes) == 1:
            out = np.argmax(x, axis=self.axes[0], keepdims=self.keepdims)
        else:
            out = np.argmax(x.reshape(-1)).reshape((1,) * x.ndim if self.keepdims else ())
        return np.asarray(out, dtype=np.int64)

    def vjp(self, node, grads):
        return [None]


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """The sum over ``axis`` (all axes by default); ``keepdims`` keeps them with size 1."""
    x = as_variable(x)
    return Sum(normalize_axes(Sum((), False), x, axis), keepdims)(x)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """The maximum over ``axis`` (all axes by default); ``keepdims`` keeps them with size 1."""
    x = as_variable(x)
    return Max(normalize_axes(Max((), False), x, axis), keepdims)(x)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """The minimum over ``axis`` (all axes by default); ``keepdims`` keeps them with size 1."""
    x = as_variable(x)
    return Min(normalize_axes(Min((), False), x, axis), keepdims)(x)


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """The int64 index of the maximum along ``axis`` (over the flattened array by default)."""
    x = as_variable(x)
    return Argmax(normalize_axes(Argmax((), False), x, axis), keepdims)(x)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """The mean; the count comes from the (symbolic) shape of ``x``."""
    x = as_variable(x)
    axes = normalize_axes(Sum((), False), x, axis)
    total = sum(x, axes, keepdims)
    sizes = [x.type.shape[a] for a in axes]
    if None not in sizes:
        return total / float(np.prod(sizes))
    count = shape(x)[axes[0]]
    for a in axes[1:]:
        count = count * shape(x)[a]
    return total / cast(count, total.dtype)


def norm(x: Any, L: int = 2, axis: Any = None) -> Variable:
    """The L1 or L2 norm over ``axis``."""
    x = as_variable(x)
    if L == 1:
        return sum(abs(x), axis)
    if L == 2:
        return sqrt(sum(x * x, axis))
    raise Sum((), False).fail(f"norm supports L=1 and L=2, got L={L}")
