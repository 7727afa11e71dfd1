"""Linear algebra: matrix products with NumPy ``matmul`` semantics."""

from __future__ import annotations

from typing import Any

import numpy as np

from .op import Op, _show, broadcast_static, upcast
from .shape import expand_dims, reshape, shape, transpose
from .variable import Node, TensorType, Variable, as_variable


class MatMul(Op):
    """``a @ b``: vectors, matrices and stacks of matrices (batch axes broadcast).

    The vjp returns gradients with the broadcast batch axes; the backward
    driver sums them away.
    """

    broadcasts = True
    fresh_output = True
    inplace_positions = ()  # the result can go into a given array, never into an input

    def make_node(self, a, b):
        from .elemwise import cast
        a, b = as_variable(a), as_variable(b)
        dtype = upcast(a, b)
        a, b = cast(a, dtype), cast(b, dtype)
        return Node(self, [a, b], [TensorType(dtype, self._shape(a, b))])

    def _shape(self, a: Variable, b: Variable) -> tuple:
        if a.ndim == 0 or b.ndim == 0:
            raise self.fail("matmul needs inputs of at least one axis, got shapes "
                            f"{_show(a.type.shape)} and {_show(b.type.shape)}")
        sa = a.type.shape if a.ndim > 1 else (1,) + a.type.shape
        sb = b.type.shape if b.ndim > 1 else b.type.shape + (1,)
        k1, k2 = sa[-1], sb[-2]
        if k1 is not None and k2 is not None and k1 != k2:
            raise self.fail(f"shapes {_show(a.type.shape)} and {_show(b.type.shape)} "
                            f"do not align: {k1} (last axis of the first) != "
                            f"{k2} (the second's {'only' if b.ndim == 1 else 'second-last'} axis)")
        batch = broadcast_static(self, [sa[:-2], sb[:-2]])
        out = batch + ((sa[-2],) if a.ndim > 1 else ()) + ((sb[-1],) if b.ndim > 1 else ())
        return out

    def perform(self, a, b):
        if _outer(a, b):
            return np.multiply(a, b)
        if a.ndim > 2 and b.ndim == 2 and a.flags.c_contiguous:
            # a stack of rows times one matrix: one large product, not one per leading index
            return np.matmul(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[-1:])
        return np.matmul(a, b)

    def as_ufunc(self, types):
        return np.matmul if all(t.ndim <= 2 for t in types) else None

    def perform_into(self, out, a, b):
        """The product written into ``out`` (an array of the result's shape)."""
        if _outer(a, b):
            return np.multiply(a, b, out=out)
        return np.matmul(a, b, out=out)

    def vjp(self, node, grads):
        (a, b), g = node.inputs, grads[0]
        if a.ndim == 1 and b.ndim == 1:
            return [g * b, g * a]
        if a.ndim == 1:
            return [matmul(b, expand_dims(g, -1))[..., 0], expand_dims(a, -1) * expand_dims(g, -2)]
        if b.ndim == 1:
            return [expand_dims(g, -1) * b, matmul(_swap(a), expand_dims(g, -1))[..., 0]]
        if b.ndim == 2 and a.ndim > 2:
            # a stack of inputs times one matrix (a Linear over time): the weight gradient is
            # one product over all rows, not a stack of products summed afterwards
            rows = reshape(a, (-1, shape(a)[-1]))
            return [matmul(g, _swap(b)), matmul(_swap(rows), reshape(g, (-1, shape(g)[-1])))]
        return [matmul(g, _swap(b)), matmul(_swap(a), g)]


def _swap(x: Variable) -> Variable:
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose(x, axes)


matmul = MatMul()


def dot(a: Any, b: Any) -> Variable:
    """Matrix product (``a @ b``)."""
    return matmul(a, b)


def outer(a: Any, b: Any) -> Variable:
    """Outer product of two vectors."""
    return expand_dims(as_variable(a), 1) * expand_dims(as_variable(b), 0)


def _outer(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a @ b`` is a (stack of) outer products, ``(..., m, 1) @ (..., 1, n)``: a
    broadcast multiplication is then the same sum of one term, and several times faster."""
    return a.ndim >= 2 and b.ndim >= 2 and a.shape[-1] == 1 and b.shape[-2] == 1
