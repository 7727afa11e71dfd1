"""Simple bricks: linear maps, biases and activations."""

from __future__ import annotations

from typing import Any

from .. import tensor
from ..roles import BIAS, WEIGHT
from ..tensor.variable import Variable
from .base import Brick, application, check_features, lazy
from .interfaces import Feedforward, Initializable


class Linear(Initializable, Feedforward):
    """``output = input_ @ W + b``, on inputs of any rank (features last).

    Parameters
    ----------
    input_dim, output_dim : int
        ``W`` is ``(input_dim, output_dim)`` and ``b`` is ``(output_dim,)``.
    """

    @lazy(allocation=["input_dim", "output_dim"])
    def __init__(self, input_dim: int, output_dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim

    @property
    def W(self) -> tensor.SharedVariable:
        return self.parameter("W")

    @property
    def b(self) -> tensor.SharedVariable:
        return self.parameter("b")

    def _allocate(self) -> None:
        self.add_parameter("W", (self.input_dim, self.output_dim), WEIGHT)
        if self.use_bias:
            self.add_parameter("b", (self.output_dim,), BIAS)

    def _initialize(self) -> None:
        self.init_parameter(self.W)
        if self.use_bias:
            self.init_parameter(self.b, "biases_init")

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Any) -> Variable:
        """``input_`` ``(..., input_dim)`` -> ``(..., output_dim)``."""
        check_features(self, "apply", "input_", input_, self.input_dim, "input_dim")
        output = tensor.as_variable(input_) @ self.W
        return output + self.b if self.use_bias else output

    def __repr__(self) -> str:
        return f"Linear({self.input_dim} => {self.output_dim})"


class Bias(Initializable, Feedforward):
    """``output = input_ + b``, with ``b`` of shape ``(dim,)``."""

    @lazy(allocation=["dim"])
    def __init__(self, dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.dim = dim

    @property
    def input_dim(self) -> int:
        return self.dim

    output_dim = input_dim

    @property
    def b(self) -> tensor.SharedVariable:
        return self.parameter("b")

    def _allocate(self) -> None:
        self.add_parameter("b", (self.dim,), BIAS)

    def _initialize(self) -> None:
        self.init_parameter(self.b, "biases_init")

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Any) -> Variable:
        check_features(self, "apply", "input_", input_, self.dim, "dim")
        return input_ + self.b

    def __repr__(self) -> str:
        return f"Bias({self.dim})"


class Activation(Brick):
    """An elementwise function as a brick; subclasses set ``function``."""

    function: Any = None

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Any) -> Variable:
        return type(self).function(tensor.as_variable(input_))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Activation):
    """Returns its input."""

    function = staticmethod(lambda x: x)


class Tanh(Activation):
    function = staticmethod(tensor.tanh)


class Logistic(Activation):
    """The sigmoid ``1 / (1 + exp(-x))``."""

    function = staticmethod(tensor.sigmoid)


class Rectifier(Activation):
    """``max(x, 0)``."""

    function = staticmethod(tensor.relu)


class Softplus(Activation):
    """``log(1 + exp(x))``."""

    function = staticmethod(tensor.softplus)


class Softmax(Brick):
    """Softmax along the last axis, with the matching stable cross-entropy."""

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Any) -> Variable:
        return tensor.softmax(input_)

    @application(inputs=["input_"], outputs=["output"])
    def log_probabilities(self, input_: Any) -> Variable:
        """``log softmax(input_)``, computed without forming the softmax."""
        return tensor.log_softmax(input_)

    @application(inputs=["y", "x"], outputs=["output"])
    def categorical_cross_entropy(self, y: Any, x: Any) -> Variable:
        """Per-example ``-log p(y)`` from the scores ``x`` ``(batch, classes)``.

        ``y`` holds integer labels ``(batch,)`` or one-hot rows ``(batch, classes)``.
        """
        return cross_entropy_from_logits(y, x)

    def __repr__(self) -> str:
        return "Softmax()"


def cross_entropy_from_logits(y: Any, x: Any) -> Variable:
    """``-log softmax(x)[y]`` along the last axis; ``y`` integer labels or one-hot."""
    y, log_p = tensor.as_variable(y), tensor.log_softmax(x)
    if y.type.dtype.kind in "iu" and y.ndim == log_p.ndim - 1:
        flat = log_p.reshape((-1, log_p.shape[-1]))
        labels = y.reshape((-1,))
        picked = flat[tensor.arange(flat.shape[0]), labels]
        return -picked.reshape(y.shape)
    return -(y * log_p).sum(axis=-1)
