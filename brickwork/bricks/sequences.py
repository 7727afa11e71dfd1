"""Bricks that chain applications: ``Sequence``, ``FeedforwardSequence`` and the ``MLP``."""

from __future__ import annotations

import copy
from collections.abc import Sequence as Seq
from typing import Any

from ..errors import BrickError
from .base import Brick, application, lazy
from .interfaces import Feedforward, Initializable
from .simple import Linear


class Sequence(Initializable):
    """Apply ``application_methods`` one after another.

    Parameters
    ----------
    application_methods : list of bound applications or bricks
        A brick means its ``apply``. Each application receives the outputs
        of the one before (a list of outputs as several arguments), so
        applications with several inputs and outputs chain too.

    ``apply(*args)`` takes the first application's inputs and returns the
    last one's outputs (one variable, or a list).
    """

    def __init__(self, application_methods: Seq, **kwargs: Any):
        methods = [m.apply if isinstance(m, Brick) else m for m in application_methods]
        bricks = []
        for method in methods:
            if all(method.brick is not b for b in bricks):
                bricks.append(method.brick)
        kwargs.setdefault("children", [])
        kwargs["children"] = list(kwargs["children"]) + bricks
        super().__init__(**kwargs)
        self.application_methods = methods

    @application
    def apply(self, *args: Any) -> Any:
        values = args
        for method in self.application_methods:
            values = method(*values, as_list=True)
        return values

    @apply.property("inputs")
    def apply_inputs(self) -> list[str]:
        """The inputs of the first application in the sequence."""
        return list(self.application_methods[0].inputs)

    @apply.property("outputs")
    def apply_outputs(self) -> list[str]:
        """The outputs of the last application in the sequence."""
        return list(self.application_methods[-1].outputs)


class FeedforwardSequence(Sequence, Feedforward):
    """A :class:`Sequence` whose first and last bricks are feedforward.

    ``input_dim`` is the first child's, ``output_dim`` the last child's (both settable).
    """

    @property
    def input_dim(self) -> int:
        """The input size of the first brick."""
        return self.children[0].input_dim

    @input_dim.setter
    def input_dim(self, value: int) -> None:
        self.children[0].input_dim = value

    @property
    def output_dim(self) -> int:
        """The output size of the last brick."""
        return self.children[-1].output_dim

    @output_dim.setter
    def output_dim(self, value: int) -> None:
        self.children[-1].output_dim = value


class MLP(FeedforwardSequence, Initializable):
    """Linear layers, each followed by its activation.

    Parameters
    ----------
    activations : list of Brick, bound application or None
        One per layer; a brick means its ``apply``; None for no activation.
    dims : list of int
        ``[input_dim, hidden..., output_dim]``; one more than the activations.
    prototype : Brick, optional
        Copied for each layer (default ``Linear()``); the copies are named
        ``<prototype class>_<i>``, such as ``linear_0``.

    Notes
    -----
    ``apply(input_)`` maps ``(..., dims[0])`` to ``(..., dims[-1])``.
    An explicit ``use_bias`` is pushed to the layers, as in Blocks.
    """

    @lazy(allocation=["dims"])
    def __init__(self, activations: Seq, dims: Seq[int] | None, prototype: Any = None, **kwargs: Any):
        self.activations = list(activations)
        self.prototype = Linear() if prototype is None else prototype
        kind = type(self.prototype).__name__.lower()
        self.linear_transformations = []
        for i in range(len(self.activations)):
            layer = copy.deepcopy(self.prototype)
            layer.name = f"{kind}_{i}"
            self.linear_transformations.append(layer)
        steps = []
        for layer, activation in zip(self.linear_transformations, self.activations):
            steps.append(layer)
            if activation is not None:
                steps.append(activation)
        super().__init__(steps, **kwargs)
        self.dims = list(dims) if dims else [None] * (len(self.activations) + 1)

    @property
    def input_dim(self) -> int:
        """``dims[0]``, the input size."""
        return self.dims[0]

    @input_dim.setter
    def input_dim(self, value: int) -> None:
        self.dims[0] = value

    @property
    def output_dim(self) -> int:
        """``dims[-1]``, the output size."""
        return self.dims[-1]

    @output_dim.setter
    def output_dim(self, value: int) -> None:
        self.dims[-1] = value

    def _push_allocation_config(self) -> None:
        if len(self.dims) != len(self.activations) + 1:
            raise BrickError(f"{self.get_hierarchical_name()}: {len(self.activations)} activations "
                             f"need {len(self.activations) + 1} dims, got {self.dims}")
        for i, layer in enumerate(self.linear_transformations):
            layer.input_dim, layer.output_dim = self.dims[i], self.dims[i + 1]
            if "use_bias" in self._explicit:
                layer.use_bias = self.use_bias

    def __repr__(self) -> str:
        return f"MLP({' => '.join(map(str, self.dims))})"
