"""The symbolic tensor language of brickwork.

Build expressions from inputs (``matrix('x')``), shared variables and
constants with NumPy-style operators and the functions below; differentiate
them with :func:`brickwork.grad` and run them with :func:`brickwork.function`.
"""

from .elemwise import (
    abs, add, cast, clip, eq, exp, floor, ge, gt, isfinite, isnan, le, log, log1p, logical_and,
    logical_not, logical_or, lt, maximum, minimum, mul, neg, neq, pow, relu, sigmoid, sign,
    softplus, sqrt, square, sub, switch, tanh, true_div, where,
)
from .linalg import dot, matmul, outer
from .nnet import log_softmax, logsumexp, pick_labels, softmax
from .op import Op
from .random import RandomStreams
from .reduction import argmax, max, mean, min, norm, sum
from .sorting import argmin, argsort, cumsum, one_hot, sort, take_along_axis, top_k
from .shape import (
    alloc, arange, as_shape, broadcast_to, concatenate, dimshuffle, expand_dims, identity, ones,
    ones_like, reshape, shape, stack, transpose, zeros, zeros_like,
)
from .variable import (
    Constant, Node, SharedVariable, TensorType, Variable, as_variable, imatrix, ivector, lmatrix,
    lscalar, lvector, matrix, scalar, shared, tensor3, tensor4, vector,
)

constant = Constant

__all__ = [name for name in dir() if not name.startswith("_") and name not in (
    "elemwise", "linalg", "nnet", "op", "random", "reduction", "shape", "sorting", "variable", "walk")]
__all__ += ["shape"]
