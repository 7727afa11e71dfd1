"""Stacks of recurrent layers, each fed by the states of the one below."""

from __future__ import annotations

import copy
from typing import Any

from ..base import application, lazy
from ..interfaces import Initializable
from ..parallel import Fork
from .base import BaseRecurrent

SEPARATOR = "#"


def suffixed(name: str, level: int) -> str:
    """``name`` at ``level``: unchanged at level 0, ``name#level`` above."""
    return name if level == 0 else f"{name}{SEPARATOR}{level}"


def split_suffix(name: str) -> tuple[str, int]:
    base, _, level = name.partition(SEPARATOR)
    return base, int(level) if level else 0


class RecurrentStack(BaseRecurrent, Initializable):
    """Recurrent layers on top of each other.

    Level ``k > 0`` takes as its sequences a :class:`Fork` of the states of
    level ``k - 1`` (a linear map per sequence, from ``fork_prototype``).
    With ``skip_connections=True`` the caller also gives each level's own
    sequences (``inputs#k``), which are added to the fork's outputs.
    Outputs and states above level 0 carry the suffix ``#k``: ``states``,
    ``states#1``, ... (and ``cells``, ``cells#1``, ... for LSTMs). With
    ``return_initial_states=True`` every level's states start with that
    level's own initial state (the level above reads only the new ones). Every
    level runs over the whole sequence before the next, so each fork is one
    matrix product over all time steps.
    """

    @lazy()
    def __init__(self, transitions: list, fork_prototype: Any = None,
                 skip_connections: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.transitions = list(transitions)
        self.skip_connections = skip_connections
        for level, transition in enumerate(self.transitions):
            transition.name = suffixed(transition.name, level) if level else transition.name
        self.forks = []
        for level in range(1, len(self.transitions)):
            names = self._sequence_names(level)
            prototype = copy.deepcopy(fork_prototype) if fork_prototype is not None else None
            fork = Fork(output_names=names, prototype=prototype, name=suffixed("fork", level))
            self.forks.append(fork)
        self.children = self.transitions + self.forks

    def _sequence_names(self, level: int) -> list[str]:
        return [n for n in self.transitions[level].apply.sequences if n != "mask"]

    def _push_allocation_config(self) -> None:
        for level, fork in enumerate(self.forks, start=1):
            fork.input_dim = self.transitions[level - 1].get_dim("states")
            fork.output_dims = self.transitions[level].get_dims(fork.output_names)

    def get_dim(self, name: str) -> int:
        base, level = split_suffix(name)
        return self.transitions[level].get_dim(base)

    @application
    def apply(self, iterate: bool = True, **kwargs: Any) -> Any:
        """Sequences and states by (suffixed) name; see the class doc."""
        options = {k: kwargs.pop(k) for k in ("reverse", "mask", "n_steps", "batch_size", "return_initial_states")
                   if k in kwargs}
        # each level puts its own initial states first; the level above reads only the new ones
        skip_initial = iterate and options.get("return_initial_states", False)
        results, below = [], None
        for level, transition in enumerate(self.transitions):
            given = {split_suffix(k)[0]: v for k, v in kwargs.items() if split_suffix(k)[1] == level}
            if level:
                forked = _as_list(self.forks[level - 1].apply(below))
                for name, value in zip(self._sequence_names(level), forked):
                    given[name] = given[name] + value if name in given else value
            outputs = _as_list(transition.apply(iterate=iterate, **given, **options))
            names = transition.apply.outputs
            below = outputs[list(names).index("states")]
            below = below[1:] if skip_initial else below
            results.extend(outputs)
        return results[0] if len(results) == 1 else results

    @apply.property("outputs")
    def apply_outputs(self) -> list[str]:
        """The outputs of every layer: ``states``, ``states#1``, ... (and ``cells#k`` for LSTMs)."""
        return [suffixed(n, level) for level, t in enumerate(self.transitions)
                for n in t.apply.outputs]

    @apply.property("states")
    def apply_states(self) -> list[str]:
        """The states of every layer, suffixed ``#k`` above level 0."""
        return [suffixed(n, level) for level, t in enumerate(self.transitions)
                for n in t.apply.states]

    @application
    def initial_states(self, batch_size: Any, *args: Any, **kwargs: Any) -> Any:
        """The initial states of every level, in the order of ``apply``'s outputs."""
        states = []
        for transition in self.transitions:
            states.extend(_as_list(transition.initial_states(batch_size)))
        return states

    @initial_states.property("outputs")
    def initial_states_outputs(self) -> list[str]:
        """The names of ``initial_states``' outputs: every layer's states."""
        return [suffixed(n, level) for level, t in enumerate(self.transitions)
                for n in t.initial_states.outputs]


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]
