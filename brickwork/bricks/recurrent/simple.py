"""The simple (Elman) recurrent brick."""

from __future__ import annotations

from typing import Any

from ... import tensor
from ...roles import WEIGHT
from ..base import check_features, lazy
from ..interfaces import Initializable
from .base import BaseRecurrent, recurrent
from .states import LearnedInitialStates


class SimpleRecurrent(LearnedInitialStates, BaseRecurrent, Initializable):
    """``h' = activation(inputs + h @ W)``, with no input projection of its own.

    Parameters
    ----------
    dim : int
        Size of the state; ``inputs`` must have ``dim`` features too (apply a
        :class:`~brickwork.bricks.Linear` first to project them).
    activation : Brick
        Applied elementwise, for example ``Tanh()`` or ``Identity()``.

    Parameters created: ``W`` ``(dim, dim)`` (role WEIGHT) and the learnable
    ``initial_state`` ``(dim,)`` (role INITIAL_STATE, zero, not touched by
    ``initialize()``).
    """

    @lazy(allocation=["dim"])
    def __init__(self, dim: int, activation: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.dim = dim
        self.activation = activation
        self.children = [activation]

    @property
    def W(self) -> tensor.SharedVariable:
        """The recurrent matrix ``(dim, dim)``."""
        return self.parameter("W")

    def get_dim(self, name: str) -> int:
        if name == "mask":
            return 0
        if name in ("inputs", "states"):
            return self.dim
        return super().get_dim(name)

    def _allocate(self) -> None:
        self.add_parameter("W", (self.dim, self.dim), WEIGHT)
        self.allocate_initial_states({"states": self.dim})

    def _initialize(self) -> None:
        self.init_parameter(self.W)

    @recurrent(sequences=["inputs", "mask"], states=["states"], outputs=["states"], contexts=[])
    def apply(self, inputs: Any, states: Any, mask: Any = None) -> Any:
        """One step: ``inputs`` ``(batch, dim)``, ``states`` ``(batch, dim)`` -> ``(batch, dim)``."""
        check_features(self, "apply", "inputs", inputs, self.dim, "dim")
        return self.activation.apply(inputs + states @ self.W)

    def __repr__(self) -> str:
        return f"SimpleRecurrent({self.dim}, {type(self.activation).__name__})"
