"""Recurrent bricks with recurrent dropout: the states entering the recurrent
product are multiplied by one dropout mask, the same at every time step
(Gal and Ghahramani, 2016; Keras' ``recurrent_dropout``).

Each brick keeps its parent's ``apply`` (no dropout, as at inference) and
adds ``dropped_apply``, which also takes ``state_mask``, a ``(time, batch,
dim)`` sequence: one ``(batch, dim)`` mask drawn outside the loop and
broadcast over time (a sequence, not a context, so that the draw stays out of
the loop: a scan pulls random draws its step reads into the step). The states
themselves (what the layer outputs and carries over) are not masked.
"""

from __future__ import annotations

from typing import Any

from ..bricks.base import check_features
from ..bricks.recurrent import LSTM, GatedRecurrent, SimpleRecurrent
from ..bricks.recurrent.base import recurrent


class DropoutLSTM(LSTM):
    """:class:`~brickwork.bricks.recurrent.LSTM` with ``dropped_apply``, where ``h @ W_state``
    sees ``h * state_mask``."""

    @recurrent(sequences=["inputs", "state_mask", "mask"], states=["states", "cells"],
               outputs=["states", "cells"], contexts=[])
    def dropped_apply(self, inputs: Any, states: Any, cells: Any, state_mask: Any, mask: Any = None) -> Any:
        """One step, as :meth:`LSTM.apply`, with the recurrent dropout mask ``(batch, dim)`` of this step."""
        return LSTM.apply.step(self, inputs, states * state_mask, cells)


class DropoutSimpleRecurrent(SimpleRecurrent):
    """:class:`~brickwork.bricks.recurrent.SimpleRecurrent` with ``dropped_apply``, where
    ``h @ W`` sees ``h * state_mask``."""

    @recurrent(sequences=["inputs", "state_mask", "mask"], states=["states"], outputs=["states"],
               contexts=[])
    def dropped_apply(self, inputs: Any, states: Any, state_mask: Any, mask: Any = None) -> Any:
        """One step, as :meth:`SimpleRecurrent.apply`, with the recurrent dropout mask ``(batch, dim)`` of this step."""
        return SimpleRecurrent.apply.step(self, inputs, states * state_mask)


class DropoutGatedRecurrent(GatedRecurrent):
    """:class:`~brickwork.bricks.recurrent.GatedRecurrent` with ``dropped_apply``, where the
    products with the state matrices see ``h * state_mask``; the carried ``(1 - z) * h`` is not
    masked."""

    @recurrent(sequences=["mask", "inputs", "gate_inputs", "state_mask"], states=["states"],
               outputs=["states"], contexts=[])
    def dropped_apply(self, inputs: Any, gate_inputs: Any, states: Any, state_mask: Any,
                      mask: Any = None) -> Any:
        """One step, as :meth:`GatedRecurrent.apply`, with the recurrent dropout mask ``(batch, dim)`` of this step."""
        check_features(self, "dropped_apply", "inputs", inputs, self.dim, "dim")
        dropped = states * state_mask
        gates = self.gate_activation.apply(gate_inputs + dropped @ self.state_to_gates)
        update, reset = gates[..., :self.dim], gates[..., self.dim:]
        if self.reset_after:
            candidate = reset * (dropped @ self.state_to_state) + inputs
        else:
            candidate = (reset * dropped) @ self.state_to_state + inputs
        return update * self.activation.apply(candidate) + (1 - update) * states
