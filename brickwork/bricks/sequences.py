"""Bricks that chain applications: ``Sequence`` and the ``MLP``."""

from __future__ import annotations

from collections.abc import Sequence as Seq
from typing import Any

from ..errors import BrickError
from .base import application, lazy
from .interfaces import Feedforward, Initializable
from .simple import Linear


class Sequence(Initializable):
    """Apply ``application_methods`` one after another (bricks mean their ``apply``)."""

    def __init__(self, application_methods: Seq, **kwargs: Any):
        methods = [getattr(m, "apply", m) for m in application_methods]
        bricks = []
        for method in methods:
            if method.brick not in bricks:
                bricks.append(method.brick)
        super().__init__(children=bricks, **kwargs)
        self.application_methods = methods

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Any) -> Any:
        for method in self.application_methods:
            input_ = method(input_)
        return input_


class MLP(Sequence, Feedforward):
    """Linear layers, each followed by its activation.

    Parameters
    ----------
    activations : list of Brick or None
        One per layer; None for no activation.
    dims : list of int
        ``[input_dim, hidden..., output_dim]``; one more than the activations.
    """

    @lazy(allocation=["dims"])
    def __init__(self, activations: Seq, dims: Seq[int] | None, **kwargs: Any):
        self.activations = list(activations)
        self.linear_transformations = [Linear(name=f"linear_{i}") for i in range(len(self.activations))]
        methods = []
        for linear, activation in zip(self.linear_transformations, self.activations):
            methods.append(linear.apply)
            if activation is not None:
                methods.append(activation.apply)
        super().__init__(methods, **kwargs)
        self.children = self.linear_transformations + [a for a in self.activations if a is not None]
        self.dims = list(dims) if dims is not None else None

    @property
    def input_dim(self) -> int:
        return self.dims[0]

    @property
    def output_dim(self) -> int:
        return self.dims[-1]

    def _push_allocation_config(self) -> None:
        if self.dims is None:
            return
        if len(self.dims) != len(self.activations) + 1:
            raise BrickError(f"{self.get_hierarchical_name()}: {len(self.activations)} activations "
                             f"need {len(self.activations) + 1} dims, got {self.dims}")
        for i, linear in enumerate(self.linear_transformations):
            linear.input_dim, linear.output_dim = self.dims[i], self.dims[i + 1]
            if "use_bias" not in linear._explicit:
                linear.use_bias = self.use_bias

    def __repr__(self) -> str:
        return f"MLP({' => '.join(map(str, self.dims or []))})"
