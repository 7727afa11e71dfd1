"""The simple (Elman) recurrent brick."""

from __future__ import annotations

from typing import Any

from ... import tensor
from ..base import lazy
from .cell import RecurrentCell


class SimpleRecurrent(RecurrentCell):
    """``h' = activation(inputs + h @ W)``, with no input projection of its own.

    Parameters
    ----------
    dim : int
        Size of the state; ``inputs`` must have ``dim`` features too (apply a
        :class:`~brickwork.bricks.Linear` first to project them).
    activation : Brick
        Applied elementwise, for example ``Tanh()`` or ``Identity()``.

    Notes
    -----
    Parameters created: ``W`` ``(dim, dim)`` (role WEIGHT) and the learnable
    ``initial_state`` ``(dim,)`` (role INITIAL_STATE, zero, not touched by
    ``initialize()``).
    """

    @lazy(allocation=["dim"])
    def __init__(self, dim: int, activation: Any, **kwargs: Any):
        super().__init__(dim, **kwargs)
        self.activation = activation
        self.children = [activation]

    @property
    def W(self) -> tensor.SharedVariable:
        """The recurrent matrix ``(dim, dim)``."""
        return self.parameter("W")

    def weights(self) -> dict[str, tuple[int, ...]]:
        return {"W": (self.dim, self.dim)}

    def step(self, inputs: Any, states: Any) -> Any:
        """One step: ``inputs`` ``(batch, dim)``, ``states`` ``(batch, dim)`` -> ``(batch, dim)``."""
        return self.activation.apply(inputs + states @ self.W)

    def __repr__(self) -> str:
        return f"SimpleRecurrent({self.dim}, {type(self.activation).__name__})"
