"""Symbolic variables: the nodes of data in a brickwork graph.

A :class:`Variable` stands for an array that does not exist yet. It knows its
:class:`TensorType` (dtype and a static shape in which unknown sizes are
``None``) and, unless it is a graph input, the :class:`Node` that computes it.
A :class:`Node` is one application of an op to input variables.
:class:`Constant` and :class:`SharedVariable` carry values: the first fixed at
graph-building time, the second owned by the graph and changed by updates.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import config
from ..errors import GraphError
from . import sites

_ids = itertools.count()


class TensorType:
    """The dtype and static shape of a variable.

    Parameters
    ----------
    dtype : numpy dtype or str
    shape : sequence of int or None
        One entry per axis; ``None`` where the size is known only at run time.
    """

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype: Any, shape: Sequence[int | None]):
        self.dtype = np.dtype(dtype)
        self.shape = tuple(None if s is None else int(s) for s in shape)

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self.shape)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorType) and (
            self.dtype == other.dtype and self.shape == other.shape)

    def __hash__(self) -> int:
        return hash((self.dtype, self.shape))

    def __repr__(self) -> str:
        dims = ", ".join("?" if s is None else str(s) for s in self.shape)
        return f"{self.dtype.name}[{dims}]"


class Node:
    """One application of ``op`` to ``inputs``, producing ``outputs``."""

    __slots__ = ("op", "inputs", "outputs", "site")

    def __init__(self, op: Any, inputs: list[Variable], types: list[TensorType]):
        self.op = op
        self.inputs = inputs
        self.site = sites.current()  # the application that built it (see brickwork.tensor.sites)
        self.outputs = [Variable(t, owner=self, index=i) for i, t in enumerate(types)]

    def __repr__(self) -> str:
        return f"Node({self.op!r})"


class Variable:
    """A symbolic array.

    Parameters
    ----------
    type : TensorType
    owner : Node, optional
        The node that computes this variable; ``None`` for graph inputs.
    index : int
        Which output of ``owner`` this is.
    name : str, optional
    """

    __array_priority__ = 1000  # so that ``ndarray + Variable`` defers to us

    def __init__(self, type: TensorType, owner: Node | None = None,
                 index: int = 0, name: str | None = None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.id = next(_ids)
        self.tag = SimpleNamespace(roles=[], annotations=[])

    # -- static description ---------------------------------------------------
    @property
    def dtype(self) -> str:
        """The NumPy dtype name, such as ``'float32'``."""
        return self.type.dtype.name

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.type.ndim

    @property
    def static_shape(self) -> tuple[int | None, ...]:
        """The sizes known at graph-building time (``None`` where unknown)."""
        return self.type.shape

    @property
    def shape(self) -> Variable:
        """The symbolic shape: an int64 vector, indexable as ``x.shape[1]``."""
        from .shape import shape
        return shape(self)

    def __repr__(self) -> str:
        label = self.name or (type(self.owner.op).__name__ + "_out" if self.owner else "input")
        return f"<{label}: {self.type!r}>"

    def __len__(self) -> int:
        raise TypeError("a symbolic Variable has no len(); use x.shape[0]")

    def __bool__(self) -> bool:
        raise TypeError("a symbolic Variable has no truth value; use tensor.where")

    def __iter__(self):
        raise TypeError("a symbolic Variable cannot be iterated; index it instead")

    __hash__ = object.__hash__

    # -- arithmetic (NumPy semantics; see brickwork.tensor.elemwise) -------------
    def __add__(self, other): return _e().add(self, other)
    def __radd__(self, other): return _e().add(other, self)
    def __sub__(self, other): return _e().sub(self, other)
    def __rsub__(self, other): return _e().sub(other, self)
    def __mul__(self, other): return _e().mul(self, other)
    def __rmul__(self, other): return _e().mul(other, self)
    def __truediv__(self, other): return _e().true_div(self, other)
    def __rtruediv__(self, other): return _e().true_div(other, self)
    def __pow__(self, other):
        if isinstance(other, int) and other == 2:
            return _e().square(self)
        return _e().pow(self, other)

    def __rpow__(self, other): return _e().pow(other, self)
    def __neg__(self): return _e().neg(self)
    def __pos__(self): return self
    def __abs__(self): return _e().abs(self)
    def __lt__(self, other): return _e().lt(self, other)
    def __le__(self, other): return _e().le(self, other)
    def __gt__(self, other): return _e().gt(self, other)
    def __ge__(self, other): return _e().ge(self, other)
    def __and__(self, other): return _e().logical_and(self, other)
    def __or__(self, other): return _e().logical_or(self, other)
    def __invert__(self): return _e().logical_not(self)

    def __matmul__(self, other):
        from .linalg import matmul
        return matmul(self, other)

    def __rmatmul__(self, other):
        from .linalg import matmul
        return matmul(other, self)

    # -- shape and indexing (see brickwork.tensor.shape) -------------------------
    def __getitem__(self, index):
        from .indexing import getitem
        return getitem(self, index)

    @property
    def T(self) -> Variable:
        """The transpose (axes reversed)."""
        return self.transpose()

    def transpose(self, *axes) -> Variable:
        """The axes permuted as given (reversed when none are given), as ``ndarray.transpose``."""
        from .shape import transpose
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return transpose(self, axes or None)

    def reshape(self, *shape) -> Variable:
        """The same values in the given shape (a tuple or separate ints; one may be -1)."""
        from .shape import reshape
        if len(shape) == 1 and isinstance(shape[0], (tuple, list, Variable)):
            shape = shape[0]
        return reshape(self, shape)

    def flatten(self) -> Variable:
        """The values as a vector ``(size,)``."""
        return self.reshape((-1,))

    def dimshuffle(self, *pattern) -> Variable:
        """Axes reordered by ``pattern``, with ``'x'`` for a new axis of size 1 (as in Theano)."""
        from .shape import dimshuffle
        return dimshuffle(self, pattern)

    def astype(self, dtype: Any) -> Variable:
        """The values cast to ``dtype``."""
        return _e().cast(self, dtype)

    # -- reductions (see brickwork.tensor.reduction) -----------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> Variable:
        """The sum over ``axis`` (all by default)."""
        from .reduction import sum as sum_
        return sum_(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Variable:
        """The mean over ``axis`` (all by default)."""
        from .reduction import mean
        return mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Variable:
        """The maximum over ``axis`` (all by default)."""
        from .reduction import max as max_
        return max_(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Variable:
        """The minimum over ``axis`` (all by default)."""
        from .reduction import min as min_
        return min_(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: Any = None, keepdims: bool = False) -> Variable:
        """The int64 index of the maximum along ``axis``."""
        from .reduction import argmax
        return argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: Any = None, keepdims: bool = False) -> Variable:
        """The int64 index of the minimum along ``axis``."""
        from .sorting import argmin
        return argmin(self, axis=axis, keepdims=keepdims)

    def argsort(self, axis: int = -1) -> Variable:
        """The indices that sort the values along ``axis``."""
        from .sorting import argsort
        return argsort(self, axis=axis)

    def sort(self, axis: int = -1) -> Variable:
        """The values sorted along ``axis``."""
        from .sorting import sort
        return sort(self, axis=axis)

    def cumsum(self, axis: int = 0) -> Variable:
        """The cumulative sum along ``axis``."""
        from .sorting import cumsum
        return cumsum(self, axis=axis)

    def norm(self, L: int = 2, axis: Any = None) -> Variable:
        """The ``L``-norm over ``axis`` (all by default)."""
        from .reduction import norm
        return norm(self, L=L, axis=axis)

    def copy(self, name: str | None = None) -> Variable:
        """A new variable with the same value (a fresh node to annotate)."""
        from .shape import identity
        out = identity(self)
        out.name = name if name is not None else self.name
        return out


def _e():
    from . import elemwise
    return elemwise


class Constant(Variable):
    """A value fixed when the graph is built.

    ``weak`` marks constants made from Python scalars: like NumPy 2, they take
    the dtype of the arrays they meet (``x * 2.0`` stays float32).
    """

    def __init__(self, value: Any, name: str | None = None, weak: bool = False,
                 dtype: Any = None):
        value = np.array(value, dtype=dtype)
        value.setflags(write=False)
        super().__init__(TensorType(value.dtype, value.shape), name=name)
        self.value = value
        self.weak = weak

    def __repr__(self) -> str:
        if self.value.size <= 4:
            return f"Constant({self.value.tolist()!r}, {self.dtype})"
        return f"Constant({self.type!r})"


class SharedVariable(Variable):
    """A variable whose value lives in the graph and persists between calls.

    Compiled functions read it and their ``updates`` write it. The value is
    copied on the way in and out unless ``borrow=True``.

    Parameters
    ----------
    value : array_like
    name : str, optional
    shape : sequence of int or None, optional
        The static shape; by default the value's shape. ``None`` entries
        allow :meth:`set_value` to change that axis's size later.
    """

    def __init__(self, value: Any, name: str | None = None,
                 shape: Sequence[int | None] | None = None):
        value = np.array(value)
        static = value.shape if shape is None else tuple(shape)
        super().__init__(TensorType(value.dtype, static), name=name)
        self._check_shape(value)
        self.container = [value]
        self.initialized = True  # bricks clear it for parameters awaiting initialize()

    def _check_shape(self, value: np.ndarray) -> None:
        ok = value.ndim == self.ndim and all(
            s is None or s == v for s, v in zip(self.type.shape, value.shape))
        if not ok:
            raise GraphError(f"shared variable {self.name!r}: expected a value of "
                             f"shape {self.type!r}, got shape {value.shape}")

    def get_value(self, borrow: bool = False) -> np.ndarray:
        """The current value (a copy unless ``borrow=True``)."""
        value = self.container[0]
        return value if borrow else value.copy()

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value; it must fit the static shape and cast safely."""
        value = np.asarray(value)
        if value.dtype != self.type.dtype:
            if not np.can_cast(value.dtype, self.type.dtype, "same_kind"):
                raise GraphError(f"shared variable {self.name!r}: cannot cast "
                                 f"{value.dtype} to {self.type.dtype}")
            value = value.astype(self.type.dtype)
            borrow = True
        self._check_shape(value)
        self.container[0] = value if borrow else value.copy()
        self.initialized = True

    def __repr__(self) -> str:
        return f"<shared {self.name or 'unnamed'}: {self.type!r}>"


def as_variable(value: Any, dtype: Any = None) -> Variable:
    """Return ``value`` as a Variable, wrapping arrays and scalars as constants."""
    if isinstance(value, Variable):
        return value
    if isinstance(value, (bool, int, float)) and dtype is None:
        return Constant(value, weak=True)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Variable) for v in value):
        from .shape import stack
        return stack(list(value))
    return Constant(value, dtype=dtype)


def shared(value: Any, name: str | None = None, dtype: Any = None,
           shape: Sequence[int | None] | None = None) -> SharedVariable:
    """Create a :class:`SharedVariable`; floats default to ``config.floatX``."""
    value = np.asarray(value)
    if dtype is None and value.dtype.kind == "f":
        dtype = config.floatX
    return SharedVariable(value.astype(dtype) if dtype else value, name=name, shape=shape)


def _constructor(ndim: int, doc: str):
    def make(name: str | None = None, dtype: Any = None,
             shape: Sequence[int | None] | None = None) -> Variable:
        static = (None,) * ndim if shape is None else tuple(shape)
        if len(static) != ndim:
            raise GraphError(f"{doc} {name!r}: shape {static} has {len(static)} "
                             f"axes, expected {ndim}")
        return Variable(TensorType(dtype or config.floatX, static), name=name)
    make.__name__ = doc
    make.__doc__ = (f"A symbolic {doc} input ({ndim} axes) of ``dtype`` "
                    "(default ``config.floatX``); ``shape`` may fix some sizes.")
    return make


scalar = _constructor(0, "scalar")
vector = _constructor(1, "vector")
matrix = _constructor(2, "matrix")
tensor3 = _constructor(3, "tensor3")
tensor4 = _constructor(4, "tensor4")


def lscalar(name: str | None = None) -> Variable:
    """A symbolic int64 scalar input."""
    return scalar(name, dtype="int64")


def lvector(name: str | None = None) -> Variable:
    """A symbolic int64 vector input ``(n,)``, such as class labels."""
    return vector(name, dtype="int64")


def lmatrix(name: str | None = None) -> Variable:
    """A symbolic int64 matrix input ``(n, m)``, such as ``(time, batch)`` labels."""
    return matrix(name, dtype="int64")


def imatrix(name: str | None = None) -> Variable:
    """A symbolic int32 matrix input ``(n, m)``."""
    return matrix(name, dtype="int32")


def ivector(name: str | None = None) -> Variable:
    """A symbolic int32 vector input ``(n,)``."""
    return vector(name, dtype="int32")
