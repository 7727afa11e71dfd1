"""The LSTM brick (gate order input, forget, cell, output, as in PyTorch)."""

from __future__ import annotations

from typing import Any

from ... import tensor
from ..base import lazy
from ..simple import Logistic, Tanh
from .cell import RecurrentCell

_PEEPHOLES = ("W_cell_to_in", "W_cell_to_forget", "W_cell_to_out")


class LSTM(RecurrentCell):
    """Long short-term memory, with optional peephole connections.

    ``inputs`` ``(batch, 4 * dim)`` hold the already projected input for the
    input gate, forget gate, cell candidate and output gate, in that order::

        pre = inputs + h @ W_state
        i = gate(pre_i + c * W_cell_to_in)          # peepholes only
        f = gate(pre_f + c * W_cell_to_forget)
        c' = f * c + i * activation(pre_c)
        o = gate(pre_o + c' * W_cell_to_out)        # looks at the new cell
        h' = o * activation(c')

    ``peepholes=False`` is the PyTorch and Keras LSTM.

    Parameters
    ----------
    dim : int
    activation, gate_activation : Brick
        Default ``Tanh()`` and ``Logistic()``.
    peepholes : bool
    """

    sequence_dims = {"inputs": 4}
    state_names = ("states", "cells")
    initial_names = {"cells": "initial_cells"}

    @lazy(allocation=["dim"])
    def __init__(self, dim: int, activation: Any = None, gate_activation: Any = None,
                 peepholes: bool = True, **kwargs: Any):
        super().__init__(dim, **kwargs)
        self.peepholes = peepholes
        self.activation = activation if activation is not None else Tanh()
        self.gate_activation = gate_activation if gate_activation is not None else Logistic()
        self.children = [self.activation, self.gate_activation]

    @property
    def W_state(self) -> tensor.SharedVariable:
        """The recurrent matrix ``(dim, 4 * dim)`` of the four gates."""
        return self.parameter("W_state")

    def weights(self) -> dict[str, tuple[int, ...]]:
        peepholes = {name: (self.dim,) for name in _PEEPHOLES} if self.peepholes else {}
        return {"W_state": (self.dim, 4 * self.dim), **peepholes}

    def step(self, inputs: Any, states: Any, cells: Any) -> Any:
        """One step: ``inputs`` ``(batch, 4*dim)`` -> new ``states`` and ``cells`` ``(batch, dim)``."""
        d, gate = self.dim, self.gate_activation.apply
        pre = inputs + states @ self.W_state
        pre_cell, pre_out = pre[..., 2 * d:3 * d], pre[..., 3 * d:]
        if self.peepholes:
            in_gate = gate(pre[..., :d] + cells * self.parameter("W_cell_to_in"))
            forget_gate = gate(pre[..., d:2 * d] + cells * self.parameter("W_cell_to_forget"))
        else:  # the input and forget gates side by side: one kernel for both
            in_forget = gate(pre[..., :2 * d])
            in_gate, forget_gate = in_forget[..., :d], in_forget[..., d:]
        next_cells = forget_gate * cells + in_gate * self.activation.apply(pre_cell)
        if self.peepholes:
            pre_out = pre_out + next_cells * self.parameter("W_cell_to_out")
        next_states = gate(pre_out) * self.activation.apply(next_cells)
        return next_states, next_cells

    def __repr__(self) -> str:
        return f"LSTM({self.dim}{'' if self.peepholes else ', peepholes=False'})"
