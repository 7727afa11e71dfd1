"""The gated recurrent unit brick."""

from __future__ import annotations

from typing import Any

from ... import tensor
from ..base import lazy
from ..simple import Logistic, Tanh
from .cell import RecurrentCell


class GatedRecurrent(RecurrentCell):
    """A GRU with the input projections left to the caller::

        z, r = split(gate_activation(gate_inputs + h @ state_to_gates))
        h~ = activation((r * h) @ state_to_state + inputs)      # reset_after=False
        h~ = activation(r * (h @ state_to_state) + inputs)      # reset_after=True
        h' = z * h~ + (1 - z) * h

    ``reset_after=True`` is the cuDNN and PyTorch form. The sequences are
    ``inputs`` ``(batch, dim)`` and ``gate_inputs`` ``(batch, 2 * dim)``,
    update gate first, then reset gate.

    Parameters
    ----------
    dim : int
    activation, gate_activation : Brick
        Default ``Tanh()`` and ``Logistic()``.
    reset_after : bool
    """

    sequence_dims = {"inputs": 1, "gate_inputs": 2}

    @lazy(allocation=["dim"])
    def __init__(self, dim: int, activation: Any = None, gate_activation: Any = None,
                 reset_after: bool = False, **kwargs: Any):
        super().__init__(dim, **kwargs)
        self.reset_after = reset_after
        self.activation = activation if activation is not None else Tanh()
        self.gate_activation = gate_activation if gate_activation is not None else Logistic()
        self.children = [self.activation, self.gate_activation]

    @property
    def state_to_state(self) -> tensor.SharedVariable:
        """The recurrent matrix of the candidate ``(dim, dim)``."""
        return self.parameter("state_to_state")

    @property
    def state_to_gates(self) -> tensor.SharedVariable:
        """The recurrent matrix of the update and reset gates ``(dim, 2 * dim)``."""
        return self.parameter("state_to_gates")

    def weights(self) -> dict[str, tuple[int, ...]]:
        return {"state_to_state": (self.dim, self.dim), "state_to_gates": (self.dim, 2 * self.dim)}

    def step(self, inputs: Any, gate_inputs: Any, states: Any) -> Any:
        """One step: ``inputs`` ``(batch, dim)``, ``gate_inputs`` ``(batch, 2*dim)`` -> ``(batch, dim)``."""
        gates = self.gate_activation.apply(gate_inputs + states @ self.state_to_gates)
        update, reset = gates[..., :self.dim], gates[..., self.dim:]
        if self.reset_after:
            candidate = reset * (states @ self.state_to_state) + inputs
        else:
            candidate = (reset * states) @ self.state_to_state + inputs
        candidate = self.activation.apply(candidate)
        return update * candidate + (1 - update) * states

    def __repr__(self) -> str:
        return f"GatedRecurrent({self.dim}{', reset_after=True' if self.reset_after else ''})"
