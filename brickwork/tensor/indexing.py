"""Indexing: ``x[...]`` with ints, slices, ``None`` and integer arrays, and its gradients.

An index is recorded as a ``spec`` with its constant parts inline; variable
parts (symbolic ints, slice bounds, integer arrays) are extra inputs of the
op. :class:`IndexGrad` scatters a gradient back into zeros, and
:class:`IndexInc` adds one into an existing array (the backward driver
gathers the gradients of several slices of one variable with it).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .op import Op, _show, broadcast_static, static_value
from .shape import Shape, shape, static_entries
from .variable import TensorType, Variable, as_variable


class Index(Op):
    """``x[index]`` for ints, slices, ``None`` and integer arrays.

    ``spec`` records the index with constants inline; every ``'?'`` (and every
    int or array given as a variable) is taken from the extra inputs, in order.
    """

    passes_through = True

    props = ("spec",)

    def __init__(self, spec: tuple):
        self.spec = spec

    def infer(self, x, *index_inputs):
        return [TensorType(x.type.dtype, _indexed_shape(self, x, index_inputs))]

    def perform(self, x, *values):
        return np.asarray(x[_build_index(self.spec, values)])

    def constant_index(self) -> tuple:
        """The index as a tuple, for an op with no variable parts (generated code applies it)."""
        return _constant_index(self.spec)

    def column_slice(self, types):
        if len(types) != 1 or None in types[0].shape:
            return None
        cut = unit_slice(self.spec, types[0].shape)
        return cut[1:] if cut is not None and cut[0] == types[0].ndim - 1 else None

    def static_value(self, node, depth=8):
        source = node.inputs[0]
        if (source.owner is not None and isinstance(source.owner.op, Shape)
                and len(self.spec) == 1 and self.spec[0][0] == "int"
                and self.spec[0][1] is not None):
            size = source.owner.inputs[0].type.shape[self.spec[0][1]]
            return None if size is None else np.array(size, dtype=np.int64)
        values = [static_value(i) for i in node.inputs]
        if any(v is None for v in values):
            return None
        return self.perform(*values)

    def vjp(self, node, grads):
        x, *rest = node.inputs
        return [IndexGrad(self.spec)(grads[0], shape(x), *rest)] + [None] * len(rest)


def unit_slice(spec: tuple, shape: tuple) -> tuple[int, int, int] | None:
    """``(axis, start, stop)`` when the index ``spec`` (of an :class:`Index` or :class:`IndexGrad`)
    is a unit-step slice of one axis of an array of static ``shape``, full on the others."""
    partial = [(a, item) for a, item in enumerate(spec) if item != ("slice", None, None, None)]
    if len(partial) != 1 or partial[0][1][0] != "slice" or "?" in partial[0][1] or len(spec) > len(shape):
        return None
    axis, (_, start, stop, step) = partial[0]
    start, stop, step = slice(start, stop, step).indices(shape[axis])
    return (axis, start, stop) if step == 1 and stop > start else None


class IndexGrad(Op):
    """Zeros of ``shape`` with ``g`` added at ``index`` (the vjp of :class:`Index`).

    Repeated array indices accumulate (``numpy.add.at``).
    """

    fresh_output = True

    props = ("spec",)

    def __init__(self, spec: tuple):
        self.spec = spec

    def infer(self, g, target_shape, *index_inputs):
        return [TensorType(g.type.dtype, static_entries(target_shape, target_shape.type.shape[0]))]

    def perform(self, g, target_shape, *values):
        out = np.zeros(tuple(target_shape), dtype=g.dtype)
        index = _build_index(self.spec, values)
        if any(item[0] == "array" for item in self.spec):
            np.add.at(out, index, g)
        else:
            out[index] = g
        return out

    def vjp(self, node, grads):
        rest = node.inputs[2:]
        return [Index(self.spec)(grads[0], *rest), None] + [None] * len(rest)


class IndexInc(Op):
    """``x`` with ``g`` added at ``index``.

    The backward driver gathers the gradients of several slices of one
    variable (the gates of an LSTM, say) into one buffer with it, instead of
    adding up full-size arrays of zeros.
    """

    props = ("spec",)
    fresh_output = True
    inplace_positions = (0,)

    def __init__(self, spec: tuple):
        self.spec = spec

    def infer(self, x, g, *index_inputs):
        return [x.type]

    def perform(self, x, g, *values):
        return self.perform_into(x.copy(), x, g, *values)

    def perform_into(self, out, x, g, *values):
        """The result written into ``out``: ``x`` itself (in place) or an array of its shape."""
        if out is not x:
            out[...] = x
        index = _build_index(self.spec, values)
        if any(item[0] == "array" for item in self.spec):
            np.add.at(out, index, g)
        else:
            out[index] += g
        return out

    def vjp(self, node, grads):
        rest = node.inputs[2:]
        return [grads[0], Index(self.spec)(grads[0], *rest)] + [None] * len(rest)


def _build_index(spec: tuple, values: Sequence[Any]) -> tuple:
    if not values:
        return _constant_index(spec)
    taken = iter(values)
    index = []
    for item in spec:
        kind = item[0]
        if kind == "int":
            index.append(item[1] if item[1] is not None else int(next(taken)))
        elif kind == "slice":
            index.append(slice(*[int(next(taken)) if p == "?" else p for p in item[1:]]))
        elif kind == "new":
            index.append(None)
        else:
            index.append(next(taken))
    return tuple(index)


@functools.lru_cache(maxsize=4096)
def _constant_index(spec: tuple) -> tuple:
    """The index of a spec without variable parts (built once per spec)."""
    return tuple(item[1] if item[0] == "int" else None if item[0] == "new" else slice(*item[1:])
                 for item in spec)


def _indexed_shape(op: Index, x: Variable, index_inputs: Sequence[Variable]) -> tuple:
    taken = iter(index_inputs)
    has_array = any(item[0] == "array" for item in op.spec)
    out, advanced, positions, axis = [], [], [], 0
    for item in op.spec:
        kind = item[0]
        if kind == "new":
            out.append(1)
            continue
        if axis >= x.ndim:
            raise op.fail(f"too many indices for an input of shape {_show(x.type.shape)}")
        size = x.type.shape[axis]
        axis += 1
        if kind == "slice":
            bounds = [next(taken) if p == "?" else p for p in item[1:]]
            out.append(_slice_length(bounds, size))
        elif kind == "int":
            value = item[1] if item[1] is not None else next(taken)
            if isinstance(value, int) and size is not None and not -size <= value < size:
                raise op.fail(f"index {value} is out of bounds for axis {axis - 1} "
                              f"of size {size} (input shape {_show(x.type.shape)})")
            if has_array:
                positions.append(len(out))
                advanced.append(())
        else:
            positions.append(len(out))
            advanced.append(next(taken).type.shape)
    out.extend(x.type.shape[axis:])
    if advanced:
        block = broadcast_static(op, advanced)
        at = positions[0] if positions == list(range(positions[0], positions[0] + len(positions))) else 0
        out[at:at] = block
    return tuple(out)


def _slice_length(bounds: list, size: int | None) -> int | None:
    if all(b is None for b in bounds):
        return size
    if size is None or any(isinstance(b, Variable) for b in bounds):
        return None
    return len(range(*slice(*bounds).indices(size)))


def getitem(x: Variable, index: Any) -> Variable:
    """NumPy-style basic and integer-array indexing of a variable."""
    if not isinstance(index, tuple):
        index = (index,)
    consuming = sum(1 for i in index if i is not None and i is not Ellipsis)
    spec, inputs = [], []
    for item in index:
        if item is Ellipsis:
            spec.extend([("slice", None, None, None)] * (x.ndim - consuming))
        elif item is None:
            spec.append(("new",))
        elif isinstance(item, slice):
            parts = []
            for p in (item.start, item.stop, item.step):
                if isinstance(p, Variable):
                    inputs.append(p)
                    parts.append("?")
                else:
                    parts.append(None if p is None else int(p))
            spec.append(("slice", *parts))
        elif isinstance(item, (int, np.integer)):
            spec.append(("int", int(item)))
        else:
            spec.append(_variable_index(x, as_variable(item), inputs))
    return Index(tuple(spec))(x, *inputs)


def _variable_index(x: Variable, item: Variable, inputs: list) -> tuple:
    if item.type.dtype.kind not in "iu":
        raise Index(()).fail(f"indices must be integers, got {item.type!r} "
                             f"(indexing an input of type {x.type!r})")
    inputs.append(item)
    return ("int", None) if item.ndim == 0 else ("array",)
