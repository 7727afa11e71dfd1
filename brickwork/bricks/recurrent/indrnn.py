"""The independently recurrent brick (IndRNN)."""

from __future__ import annotations

from typing import Any

from ..base import lazy
from ..simple import Rectifier
from .cell import RecurrentCell


class IndRNN(RecurrentCell):
    """``h' = activation(inputs + u * h)``: each unit sees only its own past (Li et al., 2018).

    The recurrent weight is a vector ``u`` ``(dim,)``, not a matrix, so units
    do not mix over time (stack layers for that) and a long sequence's
    gradient is governed by ``|u|`` unit by unit. ``inputs`` ``(batch, dim)``
    are projected already (apply a :class:`~brickwork.bricks.Linear` first).

    Parameters
    ----------
    dim : int
    activation : Brick
        Default ``Rectifier()``, as in the paper.

    Notes
    -----
    Parameters created: ``recurrent_weights`` ``(dim,)`` (role WEIGHT) and the
    learnable ``initial_state`` ``(dim,)``.
    """

    @lazy(allocation=["dim"])
    def __init__(self, dim: int, activation: Any = None, **kwargs: Any):
        super().__init__(dim, **kwargs)
        self.activation = activation if activation is not None else Rectifier()
        self.children = [self.activation]

    def weights(self) -> dict[str, tuple[int, ...]]:
        return {"recurrent_weights": (self.dim,)}

    def step(self, inputs: Any, states: Any) -> Any:
        """One step: ``inputs`` ``(batch, dim)``, ``states`` ``(batch, dim)`` -> ``(batch, dim)``."""
        return self.activation.apply(inputs + states * self.parameter("recurrent_weights"))
