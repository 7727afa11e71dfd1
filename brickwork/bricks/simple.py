"""Simple bricks: linear maps, biases and activations."""

from __future__ import annotations

from typing import Any

from .. import tensor
from ..errors import BrickError
from ..roles import BIAS, WEIGHT
from ..tensor.checks import check_range
from ..tensor.variable import Variable
from .base import Brick, application, check_features, lazy
from .interfaces import Feedforward, Initializable
from .wrappers import WithExtraDims


class Linear(Initializable, Feedforward):
    """``output = input_ @ W + b``, on inputs of any rank (features last).

    Parameters
    ----------
    input_dim, output_dim : int
        ``W`` is ``(input_dim, output_dim)`` and ``b`` is ``(output_dim,)``.

    Allocation adds the auxiliary variables ``W_norm`` and ``b_norm`` (the
    L2 norms, scalars) to the brick, as Blocks does; a graph that uses the
    brick collects them.
    """

    @lazy(allocation=["input_dim", "output_dim"])
    def __init__(self, input_dim: int, output_dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim

    @property
    def W(self) -> tensor.SharedVariable:
        """The weight matrix ``(input_dim, output_dim)``."""
        return self.parameter("W")

    @property
    def b(self) -> tensor.SharedVariable:
        """The bias vector ``(output_dim,)``."""
        return self.parameter("b")

    def _allocate(self) -> None:
        W = self.add_parameter("W", (self.input_dim, self.output_dim), WEIGHT)
        self.add_auxiliary_variable(tensor.sqrt((W * W).sum()), name="W_norm")
        if self.use_bias:
            b = self.add_parameter("b", (self.output_dim,), BIAS)
            self.add_auxiliary_variable(tensor.sqrt((b * b).sum()), name="b_norm")

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
        """The feature size ``dim`` (also ``output_dim``)."""
        return self.dim

    output_dim = input_dim

    @property
    def b(self) -> tensor.SharedVariable:
        """The bias vector ``(dim,)``."""
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
    """``tanh`` elementwise, as a brick."""
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


class LeakyRectifier(Activation):
    """``max(x, leak * x)``: the rectifier with slope ``leak`` below zero (default 0.01)."""

    def __init__(self, leak: float = 0.01, **kwargs: Any):
        super().__init__(**kwargs)
        self.leak = leak

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Any) -> Variable:
        x = tensor.as_variable(input_)
        return tensor.where(x > 0, x, self.leak * x)

    def __repr__(self) -> str:
        return f"LeakyRectifier(leak={self.leak})"


class Maxout(Brick):
    """The maximum over groups of ``num_pieces`` consecutive features.

    ``input_`` ``(..., k * num_pieces)`` -> ``(..., k)``: output feature ``j``
    is the maximum of input features ``j * num_pieces`` to
    ``(j + 1) * num_pieces - 1``.
    """

    @lazy(allocation=["num_pieces"])
    def __init__(self, num_pieces: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.num_pieces = num_pieces

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Any) -> Variable:
        x = tensor.as_variable(input_)
        width = x.static_shape[-1] if x.static_shape else None
        if width is not None and width % self.num_pieces:
            raise BrickError(f"{self.get_hierarchical_name()}.apply: input 'input_' has {width} "
                             f"features, not a multiple of num_pieces={self.num_pieces}")
        shape = tuple(x.shape[i] for i in range(x.ndim - 1)) + (-1, self.num_pieces)
        return x.reshape(shape).max(axis=-1)


class LinearMaxout(Initializable, Feedforward):
    """A :class:`Linear` map to ``output_dim * num_pieces`` features, then :class:`Maxout`.

    Parameters
    ----------
    input_dim, output_dim, num_pieces : int
        ``input_`` ``(..., input_dim)`` -> ``(..., output_dim)``. The children
        are ``linear`` and ``maxout``.
    """

    @lazy(allocation=["input_dim", "output_dim", "num_pieces"])
    def __init__(self, input_dim: int, output_dim: int, num_pieces: int, **kwargs: Any):
        self.linear, self.maxout = Linear(), Maxout()
        super().__init__(children=[self.linear, self.maxout], **kwargs)
        self.input_dim, self.output_dim, self.num_pieces = input_dim, output_dim, num_pieces

    @property
    def input_dim(self) -> int:
        """The input size of the linear transformation."""
        return self.linear.input_dim

    @input_dim.setter
    def input_dim(self, value: int) -> None:
        self.linear.input_dim = value

    def _push_allocation_config(self) -> None:
        if self.output_dim is not None and self.num_pieces is not None:
            self.linear.output_dim = self.output_dim * self.num_pieces
        self.maxout.num_pieces = self.num_pieces

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Any) -> Variable:
        return self.maxout.apply(self.linear.apply(input_))


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
        return cross_entropy_from_logits(y, x, f"{self.get_hierarchical_name()}.categorical_cross_entropy: "
                                                "input 'y'")

    def __repr__(self) -> str:
        return "Softmax()"


def cross_entropy_from_logits(y: Any, x: Any, where: str = "cross_entropy_from_logits: input 'y'"
                              ) -> Variable:
    """``-log softmax(x)[y]`` along the last axis; ``y`` integer labels or one-hot.

    Integer labels are checked at every call to lie in ``[0, classes)``;
    ``where`` names them in the error.
    """
    y, log_p = tensor.as_variable(y), tensor.log_softmax(x)
    if y.type.dtype.kind in "iu" and y.ndim == log_p.ndim - 1:
        labels = check_range(y, log_p.shape[-1], where, "class label", "the number of classes")
        return -tensor.pick_labels(log_p, labels)
    return -(y * log_p).sum(axis=-1)


class NDimensionalSoftmax(Softmax):
    """:class:`Softmax` whose applications take ``extra_ndim=`` leading axes (Blocks' name).

    brickwork's ``Softmax`` already works on the last axis of any rank; this
    class exists so that Blocks code using it runs unchanged.
    """

    decorators = [WithExtraDims()]
