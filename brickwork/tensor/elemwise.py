"""Elementwise ops: arithmetic, comparisons and the scalar nonlinearities.

All follow NumPy broadcasting. Inputs are first brought to one dtype (see
:func:`~brickwork.tensor.op.upcast`) by explicit cast nodes, so every
``perform`` is a plain ufunc call on arrays of the declared dtype. Gradients
are returned in the broadcast output shape; the backward driver sums them
back to each input's shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import GraphError
from .op import Op, broadcast_shapes, float_dtype, upcast
from .variable import Constant, Node, TensorType, Variable, as_variable


class Elemwise(Op):
    """An op applied element by element, with broadcasting.

    Subclasses set ``ufunc`` (or override ``perform``), ``result`` (``'same'``:
    the common dtype, ``'float'``: a float dtype, ``'bool'``) and ``vjp``.
    Both are checked when the class is created: ``ufunc`` must be a NumPy
    ufunc (generated code calls it with ``out=``), and a class that computes
    with its own ``perform`` must say how it writes into a given array (its
    own ``perform_into``, or ``perform_into = None``).
    """

    broadcasts = True
    fresh_output = True
    ufunc: np.ufunc | None = None
    result = "same"
    #: one element in fused kernels (see :meth:`Op.scalar_expression`): ``{0}``, ``{1}``, ...
    #: stand for the inputs, ``{t}`` for the output dtype's name, ``{f}`` for ``f32`` or ``f64``
    scalar: str | None = None

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if cls.ufunc is not None and not isinstance(cls.ufunc, np.ufunc):
            raise TypeError(f"{cls.__name__}: ufunc must be a NumPy ufunc, got {cls.ufunc!r}; "
                            "override perform and perform_into for other kernels")
        if cls.result not in ("same", "float", "bool"):
            raise TypeError(f"{cls.__name__}: result must be 'same', 'float' or 'bool', got {cls.result!r}")
        if cls.perform is not Elemwise.perform and cls.perform_into is Elemwise.perform_into:
            raise TypeError(f"{cls.__name__} overrides perform: define its perform_into too "
                            "(or set perform_into = None)")

    def make_node(self, *inputs: Any) -> Node:
        inputs = [as_variable(x) for x in inputs]
        dtype = upcast(*inputs)
        if self.result == "float":
            dtype = float_dtype(dtype)
        inputs = [_as_dtype(x, dtype) for x in inputs]
        out = np.dtype(bool) if self.result == "bool" else dtype
        return Node(self, inputs, [TensorType(out, broadcast_shapes(self, *inputs))])

    def perform(self, *arrays: np.ndarray) -> np.ndarray:
        return self.ufunc(*arrays)

    def as_ufunc(self, types):
        return self.ufunc if type(self).perform is Elemwise.perform else None

    def scalar_expression(self, args, dtype):
        if self.scalar is None or dtype.name not in SCALAR_DTYPES:
            return None
        expression = self.scalar.format(*args, t=dtype.name, f="f32" if dtype == np.float32 else "f64")
        # typed, so that a float32 kernel stays float32 (numba widens float32 op Python float)
        return expression if dtype.kind == "b" else f"{dtype.name}({expression})"

    def __call__(self, *inputs: Any) -> Variable | list[Variable]:
        if self.ufunc is None and type(self).perform is Elemwise.perform:
            raise TypeError(f"{type(self).__name__} has no kernel: set ufunc or override perform")
        return super().__call__(*inputs)

    def perform_into(self, out: np.ndarray, *arrays: np.ndarray) -> np.ndarray:
        """``perform``, writing into ``out`` (one of ``arrays``) when the result fits it.

        See :mod:`brickwork.graph.inplace`.
        """
        try:
            # ``out`` is one of the inputs, so it can only be too small, never too large:
            # NumPy then refuses, and the result goes to a new array
            return self.ufunc(*arrays, out=out)
        except ValueError:
            return self.perform(*arrays)


#: the dtypes fused kernels compute in (see :meth:`Op.scalar_expression`)
SCALAR_DTYPES = frozenset({"float32", "float64", "int32", "int64", "bool"})


def _as_dtype(x: Variable, dtype: np.dtype) -> Variable:
    if x.type.dtype == dtype:
        return x
    if isinstance(x, Constant):
        return Constant(x.value, dtype=dtype, name=x.name)
    return cast(x, dtype)


class Cast(Op):
    """Convert to ``dtype``; the gradient flows back only between floats."""

    props = ("dtype",)
    fresh_output = True

    def __init__(self, dtype: Any):
        self.dtype = np.dtype(dtype)

    def infer(self, x):
        return [TensorType(self.dtype, x.type.shape)]

    def perform(self, x):
        return x.astype(self.dtype)

    def scalar_expression(self, args, dtype):
        if dtype.name not in SCALAR_DTYPES:
            return None
        return f"({args[0]} != 0)" if dtype.kind == "b" else f"{dtype.name}({args[0]})"

    def vjp(self, node, grads):
        x = node.inputs[0]
        return [cast(grads[0], x.dtype) if x.type.dtype.kind == "f" else None]


def conform(expr: Variable, like: Variable, what: str) -> Variable:
    """``expr`` cast to ``like``'s dtype, or a GraphError when its type cannot stand for it.

    Used where a value replaces another (a shared variable's update, a
    recurrent state's next value): the axes and known sizes must agree and
    the dtype must cast safely.
    """
    if expr.ndim != like.ndim or any(a is not None and b is not None and a != b
                                     for a, b in zip(like.type.shape, expr.type.shape)):
        raise GraphError(f"{what}: expected {like.type!r}, got an expression of type {expr.type!r}")
    if expr.type.dtype != like.type.dtype and not np.can_cast(expr.type.dtype, like.type.dtype, "same_kind"):
        raise GraphError(f"{what}: cannot cast {expr.dtype} to {like.dtype}")
    return cast(expr, like.dtype)


def cast(x: Any, dtype: Any) -> Variable:
    """``x`` converted to ``dtype`` (no node when it already has it)."""
    x = as_variable(x)
    if x.type.dtype == np.dtype(dtype):
        return x
    return Cast(dtype)(x)


# -- arithmetic ---------------------------------------------------------------
class Add(Elemwise):
    """``x + y`` elementwise, with NumPy broadcasting."""
    scalar = "({0} + {1})"
    ufunc = np.add

    def vjp(self, node, grads):
        return [grads[0], grads[0]]


class Sub(Elemwise):
    """``x - y`` elementwise, with NumPy broadcasting."""
    scalar = "({0} - {1})"
    ufunc = np.subtract

    def vjp(self, node, grads):
        return [grads[0], neg(grads[0])]


class Mul(Elemwise):
    """``x * y`` elementwise, with NumPy broadcasting."""
    scalar = "({0} * {1})"
    ufunc = np.multiply

    def vjp(self, node, grads):
        a, b = node.inputs
        return [mul(grads[0], b), mul(grads[0], a)]


class TrueDiv(Elemwise):
    """``x / y`` elementwise (a float result), with NumPy broadcasting."""
    scalar = "({0} / {1})"
    ufunc = np.true_divide
    result = "float"

    def vjp(self, node, grads):
        b, g = node.inputs[1], grads[0]
        return [true_div(g, b), neg(mul(g, true_div(node.outputs[0], b)))]


class Pow(Elemwise):
    """``x ** y`` elementwise, with NumPy broadcasting."""
    scalar = "({0} ** {1})"
    transcendental = True
    ufunc = np.power

    def vjp(self, node, grads):
        (a, b), g, out = node.inputs, grads[0], node.outputs[0]
        ga = mul(g, mul(b, pow(a, sub(b, 1))))
        # d(a**b)/db = a**b log a; defined as 0 where a <= 0 to avoid NaN
        log_a = where(gt(a, 0), log(where(gt(a, 0), a, 1)), 0)
        return [ga, mul(g, mul(out, log_a))]


class Neg(Elemwise):
    """``-x``; see :func:`_negate_into` for how it is written into a given array."""
    scalar = "(-{0})"

    ufunc = np.negative

    def as_ufunc(self, types):
        return None  # generated code calls perform_into, never np.negative with out=

    def perform_into(self, out, x):
        return _negate_into(x, out)

    def vjp(self, node, grads):
        return [neg(grads[0])]


def _negate_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``-x`` written into ``out`` (an array of ``x``'s shape, possibly ``x``).

    NumPy's ``negative`` (seen with 2.4.6) writes wrong values into some
    strided outputs, such as a column of a dead buffer that an in-place kernel
    reuses; there the product by -1 is used (a little slower, so only there).
    """
    if out.flags.c_contiguous:
        return np.negative(x, out=out)
    return np.multiply(x, -1, out=out)


class Maximum(Elemwise):
    """The larger of ``x`` and ``y`` elementwise (the gradient goes to the larger)."""
    scalar = "({0} if {0} >= {1} or {0} != {0} else {1})"  # NaN wins, as in np.maximum
    ufunc = np.maximum

    def vjp(self, node, grads):
        (a, b), g = node.inputs, grads[0]
        a_wins = ge(a, b)
        return [where(a_wins, g, 0), where(a_wins, 0, g)]


class Minimum(Elemwise):
    """The smaller of ``x`` and ``y`` elementwise (the gradient goes to the smaller)."""
    scalar = "({0} if {0} <= {1} or {0} != {0} else {1})"
    ufunc = np.minimum

    def vjp(self, node, grads):
        (a, b), g = node.inputs, grads[0]
        a_wins = le(a, b)
        return [where(a_wins, g, 0), where(a_wins, 0, g)]


class Where(Elemwise):
    """``where(condition, a, b)``: ``a`` where the condition holds, else ``b``."""
    scalar = "({1} if {0} else {2})"

    def make_node(self, condition, a, b):
        condition = as_variable(condition)
        if condition.type.dtype != np.dtype(bool):
            condition = neq(condition, 0)
        node = super().make_node(a, b)
        inputs = [condition] + node.inputs
        shape = broadcast_shapes(self, *inputs)
        return Node(self, inputs, [TensorType(node.outputs[0].type.dtype, shape)])

    perform_into = None

    def perform(self, condition, a, b):
        return np.where(condition, a, b)

    def vjp(self, node, grads):
        condition, g = node.inputs[0], grads[0]
        return [None, where(condition, g, 0), where(condition, 0, g)]


# -- comparisons and logic: no gradient ----------------------------------------
class Comparison(Elemwise):
    """An elementwise test with a boolean result (no gradient), such as ``x < y``."""
    result = "bool"

    def vjp(self, node, grads):
        return [None] * len(node.inputs)


def _comparison(name: str, ufunc: Any, scalar: str) -> type:
    return type(name, (Comparison,), {"ufunc": ufunc, "scalar": scalar,
                                      "__doc__": f"Elementwise {ufunc.__name__}."})


Lt = _comparison("Lt", np.less, "({0} < {1})")
Le = _comparison("Le", np.less_equal, "({0} <= {1})")
Gt = _comparison("Gt", np.greater, "({0} > {1})")
Ge = _comparison("Ge", np.greater_equal, "({0} >= {1})")
Eq = _comparison("Eq", np.equal, "({0} == {1})")
Neq = _comparison("Neq", np.not_equal, "({0} != {1})")
LogicalAnd = _comparison("LogicalAnd", np.logical_and, "(bool({0}) & bool({1}))")
LogicalOr = _comparison("LogicalOr", np.logical_or, "(bool({0}) | bool({1}))")
LogicalNot = _comparison("LogicalNot", np.logical_not, "(not {0})")
IsFinite = _comparison("IsFinite", np.isfinite, "(({0} - {0}) == ({0} - {0}))")
IsNan = _comparison("IsNan", np.isnan, "({0} != {0})")


# -- float functions ------------------------------------------------------------
class FloatUnary(Elemwise):
    """A function of one input, elementwise, with a float result of the input's shape."""
    result = "float"


class Exp(FloatUnary):
    """``exp(x)`` elementwise."""
    scalar = "math.exp({0})"
    transcendental = True
    ufunc = np.exp

    def vjp(self, node, grads):
        return [mul(grads[0], node.outputs[0])]


class Log(FloatUnary):
    """The natural logarithm ``log(x)`` elementwise."""
    scalar = "math.log({0})"
    transcendental = True
    ufunc = np.log

    def vjp(self, node, grads):
        return [true_div(grads[0], node.inputs[0])]


class Log1p(FloatUnary):
    """``log(1 + x)`` elementwise, accurate for small ``x``."""
    scalar = "math.log1p({0})"
    transcendental = True
    ufunc = np.log1p

    def vjp(self, node, grads):
        return [true_div(grads[0], add(node.inputs[0], 1))]


class Sqrt(FloatUnary):
    """``sqrt(x)`` elementwise."""
    scalar = "math.sqrt({0})"
    ufunc = np.sqrt

    def vjp(self, node, grads):
        return [true_div(mul(grads[0], 0.5), node.outputs[0])]


class Tanh(FloatUnary):
    """``tanh(x)`` elementwise."""
    scalar = "tanh_{f}({0})"
    transcendental = True
    ufunc = np.tanh

    def vjp(self, node, grads):
        return [mul(grads[0], tanh_derivative(node.outputs[0]))]


class TanhDerivative(FloatUnary):
    """``1 - y**2``: the derivative of tanh, from its output ``y``.

    A factor of its own, not fused with the incoming gradient: in a scan's
    backward step it reads only saved forward values, so it is computed for
    all time steps before the loop (see :mod:`brickwork.scan.hoist`).
    """
    scalar = "({t}(1) - {0} * {0})"

    def perform(self, y):
        return self.perform_into(np.empty_like(y), y)

    def perform_into(self, out, y):
        np.multiply(y, y, out=out)
        return np.subtract(1, out, out=out)

    def vjp(self, node, grads):
        return [mul(grads[0], mul(node.inputs[0], -2.0))]


class Sigmoid(FloatUnary):
    """The logistic function ``1 / (1 + exp(-x))``, computed as ``0.5 + 0.5 * tanh(x / 2)``.

    Four in-place passes, one of them ``tanh``, which NumPy computes with
    SIMD: at (64, 256), on an AVX-512 Xeon with NumPy 2.4, we measured
    0.9 ns per value in float32 against 1.5 ns for the five passes of
    ``1 / (1 + exp(-x))`` (negate, clip, exp, add, reciprocal), and 2.7 ns
    for both in float64 (where NumPy's ``tanh`` costs twice its ``exp``).
    ``tanh`` saturates, so nothing can overflow.

    The result is accurate in absolute terms, within about half a unit in
    the last place of 1 (6e-8 in float32, 1e-16 in float64), not relative to its
    size: far in the negative tail it loses its relative precision and then
    becomes 0, from about ``x = -20`` in float32 and ``x = -38`` in float64
    (``sigmoid(-40)`` is 0 where the ``exp`` form gave 4e-18, and
    ``sigmoid(-10)`` is 4.5389e-5 in float32 instead of 4.5398e-5). Take
    logarithms of a sigmoid through :class:`Softplus` (``log sigmoid(x) =
    -softplus(-x)``), as ``BinaryCrossEntropy(from_logits=True)`` does.
    """
    scalar = "sigmoid_{f}({0})"
    transcendental = True

    def perform(self, x):
        return self.perform_into(np.empty_like(x), x)

    def perform_into(self, out, x):
        np.multiply(x, 0.5, out=out)  # a Python float keeps float32 float32 (NumPy 2 promotion)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return out

    def vjp(self, node, grads):
        return [mul(grads[0], sigmoid_derivative(node.outputs[0]))]


class SigmoidDerivative(FloatUnary):
    """``y * (1 - y)``: the derivative of the sigmoid, from its output ``y`` (see
    :class:`TanhDerivative`)."""
    scalar = "(({t}(1) - {0}) * {0})"

    inplace_positions = ()  # the kernel reads ``y`` after writing ``out``

    def perform(self, y):
        return self.perform_into(np.empty_like(y), y)

    def perform_into(self, out, y):
        np.subtract(1, y, out=out)
        return np.multiply(out, y, out=out)

    def vjp(self, node, grads):
        return [mul(grads[0], sub(1, mul(node.inputs[0], 2.0)))]


class Softplus(FloatUnary):
    """``log(1 + exp(x))``, computed as ``logaddexp(0, x)`` so it never overflows."""

    def perform(self, x):
        return np.logaddexp(0, x)

    def perform_into(self, out, x):
        return np.logaddexp(0, x, out=out)

    def vjp(self, node, grads):
        return [mul(grads[0], sigmoid(node.inputs[0]))]


class Abs(Elemwise):
    """``|x|`` elementwise."""
    scalar = "abs({0})"
    ufunc = np.abs

    def vjp(self, node, grads):
        return [mul(grads[0], sign(node.inputs[0]))]


class Sign(Elemwise):
    """``sign(x)`` elementwise (-1, 0 or 1; zero gradient)."""
    ufunc = np.sign

    def vjp(self, node, grads):
        return [None]


class Floor(Elemwise):
    """``floor(x)`` elementwise (zero gradient)."""
    ufunc = np.floor

    def vjp(self, node, grads):
        return [None]


class Relu(Elemwise):
    """``max(x, 0)`` elementwise."""
    scalar = "({0} if not {0} <= 0 else {t}(0))"  # NaN stays NaN
    def perform(self, x):
        return np.maximum(x, 0)

    def perform_into(self, out, x):
        return np.maximum(x, 0, out=out)

    def vjp(self, node, grads):
        return [where(gt(node.inputs[0], 0), grads[0], 0)]


class Square(Elemwise):
    """``x ** 2`` elementwise."""
    scalar = "({0} * {0})"
    ufunc = np.square

    def vjp(self, node, grads):
        return [mul(grads[0], mul(node.inputs[0], 2))]


# -- the functions users call ----------------------------------------------------
add, sub, mul, true_div, pow = Add(), Sub(), Mul(), TrueDiv(), Pow()
neg, maximum, minimum, where = Neg(), Maximum(), Minimum(), Where()
lt, le, gt, ge, eq, neq = Lt(), Le(), Gt(), Ge(), Eq(), Neq()
logical_and, logical_or, logical_not = LogicalAnd(), LogicalOr(), LogicalNot()
isfinite, isnan = IsFinite(), IsNan()
exp, log, log1p, sqrt, tanh = Exp(), Log(), Log1p(), Sqrt(), Tanh()
sigmoid, softplus, abs, sign = Sigmoid(), Softplus(), Abs(), Sign()
sigmoid_derivative, tanh_derivative = SigmoidDerivative(), TanhDerivative()
floor, relu, square = Floor(), Relu(), Square()
switch = where


def clip(x: Any, low: Any, high: Any) -> Variable:
    """``x`` limited to ``[low, high]``; the gradient is zero where it is clipped."""
    return minimum(maximum(x, low), high)
