"""``Fork``: one input, several linear outputs."""

from __future__ import annotations

import copy
from typing import Any

from .base import application, lazy
from .interfaces import Initializable
from .simple import Linear


class Fork(Initializable):
    """Map one input to several outputs, one transformation each (``fork_<name>``).

    Parameters
    ----------
    output_names : list of str
    input_dim : int
    output_dims : list of int
        One per output name.
    prototype : Feedforward brick, optional
        Copied for each output (default ``Linear``); ``input_dim`` and
        ``output_dim`` are set on the copies.
    """

    @lazy(allocation=["input_dim", "output_dims"])
    def __init__(self, output_names: list[str], input_dim: int, output_dims: list[int],
                 prototype: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.output_names = list(output_names)
        self.input_dim, self.output_dims = input_dim, output_dims
        prototype = prototype if prototype is not None else Linear()
        self.transformations = []
        for name in self.output_names:
            brick = copy.deepcopy(prototype)
            brick.name = f"fork_{name}"
            self.transformations.append(brick)
        self.children = list(self.transformations)

    def _push_allocation_config(self) -> None:
        for brick, dim in zip(self.transformations, self.output_dims):
            brick.input_dim, brick.output_dim = self.input_dim, dim

    def get_dim(self, name: str) -> int:
        if name == "input_":
            return self.input_dim
        if name in self.output_names:
            return self.output_dims[self.output_names.index(name)]
        return super().get_dim(name)

    @application(inputs=["input_"])
    def apply(self, input_: Any) -> Any:
        """``input_`` ``(..., input_dim)`` -> one output per name, ``(..., output_dim)``."""
        outputs = [brick.apply(input_) for brick in self.transformations]
        return outputs[0] if len(outputs) == 1 else outputs

    @apply.property("outputs")
    def apply_outputs(self) -> list[str]:
        return list(self.output_names)
