"""Random draws from a seeded :class:`numpy.random.Generator`.

Random ops are impure: never merged with one another nor folded into
constants, so each draws anew at every call of a compiled function. The
generator state is plain data (``get_state``/``set_state``), which
checkpoints store to resume a run exactly. Draws made inside a scan step
(sampling in a sequence generator) come from the same generator, one step
after the other, so its state covers them too; :func:`random_streams` finds
the streams of a graph, inside scan steps included.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import config
from .op import Op
from .shape import as_shape, static_entries
from .variable import TensorType, Variable, as_variable
from .walk import toposort


class RandomDraw(Op):
    """Draw an array of a (symbolic) shape from ``streams``' generator."""

    pure = False
    fresh_output = True
    props = ("distribution", "dtype")

    def __init__(self, streams: RandomStreams, distribution: str, dtype: Any):
        self.streams = streams
        self.distribution = distribution
        self.dtype = np.dtype(dtype)

    def infer(self, target, a, b):
        return [TensorType(self.dtype, static_entries(target, target.type.shape[0]))]

    def perform(self, target, a, b):
        rng, size = self.streams.generator, tuple(target)
        if self.distribution == "uniform":
            out = rng.uniform(a, b, size)
        elif self.distribution == "normal":
            out = rng.normal(a, b, size)
        else:
            out = rng.random(size) < a
        return out.astype(self.dtype)

    def vjp(self, node, grads):
        return [None, None, None]


class CategoricalDraw(Op):
    """One class per row of probabilities ``(..., classes)``: int64 ``(...)``.

    With ``counts``, the result is instead ``(..., classes)`` counts of ``n``
    draws per row (a multinomial). Rows need not be normalized; each is
    divided by its sum.
    """

    pure = False
    fresh_output = True
    props = ("counts", "n", "dtype")

    def __init__(self, streams: RandomStreams, counts: bool, n: int, dtype: Any):
        self.streams, self.counts, self.n = streams, counts, n
        self.dtype = np.dtype(dtype)

    def infer(self, probs):
        if probs.ndim == 0:
            raise self.fail("probabilities need a class axis, got a scalar")
        dims = probs.type.shape if self.counts else probs.type.shape[:-1]
        return [TensorType(self.dtype, dims)]

    def perform(self, probs):
        if self.counts and self.n != 1:
            return self._counts(probs)
        edges = np.cumsum(probs, axis=-1, dtype=np.float64)
        draws = self.streams.generator.random(probs.shape[:-1] + (1,)) * edges[..., -1:]
        classes = np.minimum((draws >= edges).sum(axis=-1), probs.shape[-1] - 1)
        if not self.counts:
            return classes.astype(self.dtype)
        out = np.zeros(probs.shape, dtype=self.dtype)
        np.put_along_axis(out, classes[..., None], 1, axis=-1)
        return out

    def _counts(self, probs):
        rows = probs.reshape(-1, probs.shape[-1]).astype(np.float64)
        rows = rows / rows.sum(axis=1, keepdims=True)
        counts = [self.streams.generator.multinomial(self.n, row) for row in rows]
        return np.asarray(counts, dtype=self.dtype).reshape(probs.shape)

    def vjp(self, node, grads):
        return [None]


class RandomStreams:
    """A source of symbolic random arrays, seeded for reproducibility.

    >>> streams = RandomStreams(seed=1)
    >>> mask = streams.binomial((3, 4), p=0.5)
    """

    def __init__(self, seed: int = 1):
        self.generator = np.random.default_rng(seed)

    def _draw(self, distribution: str, shape: Any, a: Any, b: Any, dtype: Any) -> Variable:
        op = RandomDraw(self, distribution, dtype or config.floatX)
        return op(as_shape(shape), as_variable(a, "float64"), as_variable(b, "float64"))

    def uniform(self, shape: Any, low: float = 0.0, high: float = 1.0, dtype: Any = None) -> Variable:
        """A symbolic draw of ``shape`` from the uniform distribution on ``[low, high)``; new
        values at every call of the compiled function."""
        return self._draw("uniform", shape, low, high, dtype)

    def normal(self, shape: Any, mean: float = 0.0, std: float = 1.0, dtype: Any = None) -> Variable:
        """A symbolic draw of ``shape`` from the normal distribution ``N(mean, std**2)``; new values at every call."""
        return self._draw("normal", shape, mean, std, dtype)

    def binomial(self, shape: Any, p: float = 0.5, dtype: Any = None) -> Variable:
        """Ones with probability ``p``, else zeros."""
        return self._draw("binomial", shape, p, 0.0, dtype)

    def categorical(self, probs: Any, dtype: Any = "int64") -> Variable:
        """One class index per row of ``probs`` ``(..., classes)``: ``(...)`` integers.

        Rows are probabilities (each divided by its sum); drawing happens at
        every call, inside a scan step at every time step.
        """
        return CategoricalDraw(self, False, 1, dtype)(as_variable(probs))

    def multinomial(self, pvals: Any, n: int = 1, dtype: Any = None) -> Variable:
        """Counts ``(..., classes)`` of ``n`` draws per row of ``pvals`` (one-hot when ``n=1``),
        as Theano's ``MRG_RandomStreams.multinomial(pvals=...)``."""
        return CategoricalDraw(self, True, int(n), dtype or config.floatX)(as_variable(pvals))

    def get_state(self) -> dict:
        """The state of the generator (JSON-compatible), for checkpoints."""
        return self.generator.bit_generator.state

    def set_state(self, state: dict) -> None:
        """Restore a state from :meth:`get_state`."""
        self.generator.bit_generator.state = state


def random_streams(outputs: Any) -> list[RandomStreams]:
    """The random streams ``outputs`` draw from, in graph order, scan steps included."""
    found: dict[int, RandomStreams] = {}
    pending = [list(outputs)]
    while pending:
        for node in toposort(pending.pop()):
            if isinstance(node.op, (RandomDraw, CategoricalDraw)):
                found.setdefault(id(node.op.streams), node.op.streams)
            elif not node.op.pure:
                pending.append(node.op.inner_outputs())
    return list(found.values())
