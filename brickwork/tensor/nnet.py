"""Neural-network ops: softmax and log-softmax along an axis, stable; the entries of labels."""

from __future__ import annotations

from typing import Any

import numpy as np

from .elemwise import exp, log
from .op import Op, _show, float_dtype
from .reduction import max as max_
from .reduction import sum as sum_
from .shape import arange
from .variable import TensorType, Variable, as_variable


class _AlongAxis(Op):
    props = ("axis",)
    fresh_output = True

    def __init__(self, axis: int = -1):
        self.axis = axis

    def infer(self, x):
        if x.ndim == 0 or not -x.ndim <= self.axis < x.ndim:
            raise self.fail(f"axis {self.axis} is out of range for an input of "
                            f"shape {_show(x.type.shape)}")
        return [TensorType(float_dtype(x.type.dtype), x.type.shape)]


class Softmax(_AlongAxis):
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the maximum."""

    def perform(self, x):
        out = x - x.max(axis=self.axis, keepdims=True)
        np.exp(out, out=out)
        out /= out.sum(axis=self.axis, keepdims=True)
        return out

    def vjp(self, node, grads):
        out, g = node.outputs[0], grads[0]
        return [out * (g - sum_(g * out, self.axis, keepdims=True))]


class LogSoftmax(_AlongAxis):
    """``x - logsumexp(x)`` along ``axis``, shifted by the maximum."""

    def perform(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))

    def vjp(self, node, grads):
        out, g = node.outputs[0], grads[0]
        return [g - exp(out) * sum_(g, self.axis, keepdims=True)]


def softmax(x: Any, axis: int = -1) -> Variable:
    """Softmax along ``axis`` (default the last): ``exp(x) / sum(exp(x))``, same shape as ``x``."""
    return Softmax(axis)(as_variable(x))


def log_softmax(x: Any, axis: int = -1) -> Variable:
    """Log of the softmax along ``axis`` (default the last), computed stably; same shape as ``x``."""
    return LogSoftmax(axis)(as_variable(x))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """``log(sum(exp(x)))`` without overflow."""
    x = as_variable(x)
    top = max_(x, axis, keepdims=True)
    out = log(sum_(exp(x - top), axis, keepdims=True)) + top
    return out if keepdims else sum_(out, axis)


def pick_labels(scores: Any, labels: Any) -> Variable:
    """The entry of each label along the last axis of ``scores``.

    Parameters
    ----------
    scores : Variable, ``(..., classes)``
        Log-probabilities, say.
    labels : Variable of int, ``(...)``
        A class index per row of ``scores``.

    Returns
    -------
    Variable, ``(...)``
        ``scores[..., labels]`` row by row; the gradient flows to ``scores``.
    """
    scores, labels = as_variable(scores), as_variable(labels)
    flat = scores.reshape((-1, scores.shape[-1]))
    return flat[arange(flat.shape[0]), labels.reshape((-1,))].reshape(labels.shape)

