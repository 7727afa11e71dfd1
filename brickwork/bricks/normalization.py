"""``LayerNormalization``: normalize over the feature axis."""

from __future__ import annotations

from typing import Any

from .. import tensor
from ..roles import BIAS, WEIGHT
from ..tensor.variable import Variable
from .base import application, check_features, lazy
from .interfaces import Feedforward, Initializable


class LayerNormalization(Initializable, Feedforward):
    """``gamma * (x - mean) / sqrt(var + epsilon) + beta`` over the last axis.

    ``gamma`` starts at one and ``beta`` at zero; ``initialize()`` keeps them so.
    """

    @lazy(allocation=["dim"])
    def __init__(self, dim: int, epsilon: float = 1e-5, **kwargs: Any):
        super().__init__(**kwargs)
        self.dim, self.epsilon = dim, epsilon

    @property
    def input_dim(self) -> int:
        """The feature size ``dim`` (also ``output_dim``)."""
        return self.dim

    output_dim = input_dim

    def _allocate(self) -> None:
        gamma = self.add_parameter("gamma", (self.dim,), WEIGHT, zero=True)
        gamma.set_value(gamma.get_value() + 1)
        self.add_parameter("beta", (self.dim,), BIAS, zero=True)

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Any) -> Variable:
        """``input_`` ``(..., dim)`` -> the same shape."""
        check_features(self, "apply", "input_", input_, self.dim, "dim")
        x = tensor.as_variable(input_)
        centred = x - x.mean(axis=-1, keepdims=True)
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        normalized = centred / tensor.sqrt(variance + self.epsilon)
        return normalized * self.parameter("gamma") + self.parameter("beta")
