"""Learnable initial states and the feature-size check shared by recurrent bricks."""

from __future__ import annotations

from typing import Any

from ... import tensor
from ...roles import INITIAL_STATE
from ..base import application


class LearnedInitialStates:
    """Mixin: each state starts from a learnable vector, zero at first.

    The vectors are parameters named ``initial_state`` (and, for other
    states, the names given to :meth:`allocate_initial_states`), of role
    ``INITIAL_STATE``; ``initialize()`` leaves them at zero.
    """

    def allocate_initial_states(self, dims: dict[str, int], names: dict[str, str] | None = None) -> None:
        """Add a learnable initial-state vector per state (``dims``: state name to size), zero,
        role INITIAL_STATE; ``names`` renames the parameters."""
        self.initial_state_names = {s: (names or {}).get(s, "initial_state") for s in dims}
        for state, dim in dims.items():
            self.add_parameter(self.initial_state_names[state], (dim,), INITIAL_STATE, zero=True)

    @application
    def initial_states(self, batch_size: Any, *args: Any, **kwargs: Any) -> Any:
        """Each learnable initial vector broadcast to ``(batch_size, dim)``."""
        states = [tensor.broadcast_to(self.parameter(self.initial_state_names[s]),
                                      (batch_size, self.get_dim(s)))
                  for s in self.apply.states]
        return states[0] if len(states) == 1 else states

    @initial_states.property("outputs")
    def initial_states_outputs(self) -> list[str]:
        """The names of ``initial_states``' outputs: the states of ``apply``."""
        return list(self.apply.states)
