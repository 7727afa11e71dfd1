"""Where each part of a Scan node sits among its inputs and outputs.

A Scan node's inputs are ``n_steps``, then the sequences, the initial
states and the free variables; its outputs are one per step output (the new
states first), then, with ``history``, one history per state. Code that
needs one of those groups asks the :class:`Signature` for it by name, so no
index arithmetic is spread over the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple


class ScanInputs(NamedTuple):
    """A Scan node's inputs (or anything laid out like them: arrays, gradients), by part.

    Attributes
    ----------
    n_steps : Any
        The number of steps (used when there are no sequences).
    sequences, states, free : list
        The sequences ``(time, ...)``, initial states and free variables.
    """

    n_steps: Any
    sequences: list
    states: list
    free: list


class ScanOutputs(NamedTuple):
    """A Scan node's outputs, by part.

    Attributes
    ----------
    step : list
        One per step output, the new states first: stacked ``(time, ...)``,
        or the last value where ``last`` says so.
    histories : list
        With ``history``, each state's initial value and every new one
        ``(time + 1, ...)``; else empty.
    """

    step: list
    histories: list


@dataclass(frozen=True)
class Signature:
    """How many of each part a Scan has.

    Attributes
    ----------
    n_sequences, n_states, n_free : int
        Sequences, states and free variables among the inputs.
    n_outputs : int
        Outputs of the step (at least ``n_states``: the new states first).
    history : bool
        Whether the histories of the states follow the step outputs.
    """

    n_sequences: int
    n_states: int
    n_free: int
    n_outputs: int
    history: bool

    def inputs(self, values: Sequence[Any]) -> ScanInputs:
        """``values``, laid out as a node's inputs, by part."""
        states_at = 1 + self.n_sequences
        free_at = states_at + self.n_states
        return ScanInputs(values[0], list(values[1:states_at]), list(values[states_at:free_at]),
                          list(values[free_at:]))

    def join_inputs(self, parts: ScanInputs) -> list:
        """The parts as one list, laid out as a node's inputs."""
        return [parts.n_steps, *parts.sequences, *parts.states, *parts.free]

    def outputs(self, values: Sequence[Any]) -> ScanOutputs:
        """``values``, laid out as a node's outputs, by part."""
        return ScanOutputs(list(values[:self.n_outputs]), list(values[self.n_outputs:]))

    def new_states(self, step_values: Sequence[Any]) -> list:
        """The new states among the values of the step's outputs (they come first)."""
        return list(step_values[:self.n_states])

    def is_state(self, k: int) -> bool:
        """Whether step output ``k`` is a new state."""
        return k < self.n_states
