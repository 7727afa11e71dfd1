"""Stacks of recurrent layers, each fed by the states of the one below."""

from __future__ import annotations

import copy
from typing import Any

from ... import tensor
from ...errors import BrickError
from ..base import application, lazy
from ..interfaces import Initializable
from ..parallel import Fork
from .base import BaseRecurrent

SEPARATOR = "#"


def suffixed(name: str, level: int) -> str:
    """``name`` at ``level``: unchanged at level 0 (and ``mask`` at every level), ``name#level`` above."""
    return name if level == 0 or name == "mask" else f"{name}{SEPARATOR}{level}"


def split_suffix(name: str) -> tuple[str, int]:
    """``(name, level)`` from a suffixed name; only a final ``#<digits>`` is a level, as in Blocks."""
    base, separator, level = name.rpartition(SEPARATOR)
    return (base, int(level)) if separator and level.isdigit() else (name, 0)


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
    def __init__(self, transitions: list, fork_prototype: Any = None, states_name: str = "states",
                 skip_connections: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.transitions = list(transitions)
        self.skip_connections, self.states_name = skip_connections, states_name
        for level, transition in enumerate(self.transitions):
            transition.name = f"{transition.name}{SEPARATOR}{level}"
        self.forks = []
        for level in range(1, len(self.transitions)):
            names = self._sequence_names(level)
            prototype = copy.deepcopy(fork_prototype) if fork_prototype is not None else None
            fork = Fork(output_names=names, prototype=prototype, name=f"fork_{level}")
            self.forks.append(fork)
        self.children = self.transitions + self.forks

    def _sequence_names(self, level: int) -> list[str]:
        return [n for n in self.transitions[level].apply.sequences if n != "mask"]

    def _push_allocation_config(self) -> None:
        for level, fork in enumerate(self.forks, start=1):
            fork.input_dim = self.transitions[level - 1].get_dim(self.states_name)
            fork.output_dims = self.transitions[level].get_dims(fork.output_names)

    def get_dim(self, name: str) -> int:
        base, level = split_suffix(name)
        return self.transitions[level].get_dim(base)

    @application
    def apply(self, iterate: bool = True, low_memory: bool = False, **kwargs: Any) -> Any:
        """Sequences and states by (suffixed) name; see the class doc.

        ``low_memory=True`` runs one scan whose step advances every level by
        one step (Blocks' ``low_memory_apply``): the same values, without
        keeping each level's whole output sequence before the next level
        starts, at the price of one fork product per step.
        """
        options = {k: kwargs.pop(k) for k in ("reverse", "mask", "n_steps", "batch_size", "return_initial_states")
                   if k in kwargs}
        if low_memory and iterate:
            return _unpacked(self._one_scan(kwargs, options))
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
            below = outputs[list(names).index(self.states_name)]
            below = below[1:] if skip_initial else below
            results.extend(outputs)
        return results[0] if len(results) == 1 else results

    @apply.property("outputs")
    def apply_outputs(self) -> list[str]:
        """The outputs of every layer: ``states``, ``states#1``, ... (and ``cells#k`` for LSTMs)."""
        return [suffixed(n, level) for level, t in enumerate(self.transitions)
                for n in t.apply.outputs]

    @apply.property("sequences")
    def apply_sequences(self) -> list[str]:
        """Level 0's sequences (each level's, suffixed, with skip connections), then ``mask``."""
        levels = range(len(self.transitions)) if self.skip_connections else [0]
        names = [suffixed(n, level) for level in levels for n in self._sequence_names(level)]
        return names + (["mask"] if "mask" in self.transitions[0].apply.sequences else [])

    @apply.property("contexts")
    def apply_contexts(self) -> list[str]:
        """The contexts of every level (not suffixed)."""
        found: list[str] = []
        for transition in self.transitions:
            found += [n for n in getattr(transition.apply, "contexts", []) if n not in found]
        return found

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


    def _one_scan(self, kwargs: dict, options: dict) -> list[Any]:
        """Every level in one scan: the step runs each level's single step, bottom up."""
        from .bidirectional import Bidirectional
        if any(isinstance(t, Bidirectional) for t in self.transitions):
            raise BrickError(f"{self.get_hierarchical_name()}.apply(low_memory=True): a Bidirectional "
                             f"level needs the whole sequence before its backward pass; use low_memory=False")
        sequences = [(k, tensor.as_variable(v)) for k, v in kwargs.items() if k in self.apply.sequences]
        if not sequences:
            raise BrickError(f"{self.get_hierarchical_name()}.apply(low_memory=True): no sequence given; "
                             f"the sequences are {self.apply.sequences}")
        batch = options.get("batch_size", sequences[0][1].shape[1])
        initial = self._initial_values(kwargs, batch)
        state_names = self.apply.states
        mask = options.get("mask")
        extra = [tensor.as_variable(mask)] if mask is not None else []

        def step(*args: Any) -> list[Any]:
            slices = dict(zip([k for k, _ in sequences], args))
            mask_t = args[len(sequences)] if extra else None
            previous = dict(zip(state_names, args[len(sequences) + len(extra):]))
            by_name = dict(zip(self.apply.outputs, self._one_step(slices, previous, mask_t)))
            return [by_name[n] for n in state_names] + [by_name[n] for n in self.apply.outputs
                                                         if n not in state_names]

        stacked = tensor.scan(step, sequences=[v for _, v in sequences] + extra, states=initial,
                              n_steps=options.get("n_steps"), reverse=options.get("reverse", False))
        order = state_names + [n for n in self.apply.outputs if n not in state_names]
        by_name = dict(zip(order, stacked))
        if options.get("return_initial_states"):
            for name, value in zip(state_names, initial):
                by_name[name] = tensor.concatenate([tensor.expand_dims(value, 0), by_name[name]])
        return [by_name[n] for n in self.apply.outputs]

    def _initial_values(self, kwargs: dict, batch: Any) -> list[Any]:
        values = []
        for level, transition in enumerate(self.transitions):
            defaults = dict(zip(transition.initial_states.outputs,
                                _as_list(transition.initial_states(batch))))
            values += [tensor.as_variable(kwargs.get(suffixed(n, level), defaults.get(n)))
                       for n in transition.apply.states]
        return values

    def _one_step(self, slices: dict, previous: dict, mask_t: Any) -> list[Any]:
        results, below = [], None
        for level, transition in enumerate(self.transitions):
            given = {split_suffix(k)[0]: v for k, v in slices.items() if split_suffix(k)[1] == level}
            given.update({n: previous[suffixed(n, level)] for n in transition.apply.states})
            if level:
                forked = _as_list(self.forks[level - 1].apply(below))
                for name, value in zip(self._sequence_names(level), forked):
                    given[name] = given[name] + value if name in given else value
            masking = {"mask": mask_t} if mask_t is not None else {}
            outputs = _as_list(transition.apply(iterate=False, **given, **masking))
            below = outputs[list(transition.apply.outputs).index(self.states_name)]
            results.extend(outputs)
        return results


def _unpacked(values: list) -> Any:
    return values[0] if len(values) == 1 else values


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]
