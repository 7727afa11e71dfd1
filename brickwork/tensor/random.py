"""Random draws from a seeded :class:`numpy.random.Generator`.

Random ops are impure: never merged with one another nor folded into
constants, so each draws anew at every call of a compiled function. The
generator state is plain data (``get_state``/``set_state``), which
checkpoints store to resume a run exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import config
from .op import Op
from .shape import as_shape, static_entries
from .variable import TensorType, Variable, as_variable


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
        return self._draw("uniform", shape, low, high, dtype)

    def normal(self, shape: Any, mean: float = 0.0, std: float = 1.0, dtype: Any = None) -> Variable:
        return self._draw("normal", shape, mean, std, dtype)

    def binomial(self, shape: Any, p: float = 0.5, dtype: Any = None) -> Variable:
        """Ones with probability ``p``, else zeros."""
        return self._draw("binomial", shape, p, 0.0, dtype)

    def get_state(self) -> dict:
        return self.generator.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.generator.bit_generator.state = state
