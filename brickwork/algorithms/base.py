"""``TrainingAlgorithm`` and ``UpdatesAlgorithm``: what the main loop drives.

An algorithm is initialized once (``initialize()`` compiles it) and then
given batches (``process_batch(batch)``), as in Blocks. An
:class:`UpdatesAlgorithm` runs a list of updates ``(shared variable, new
value)`` per batch, all computed from the values before the batch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import TrainingError
from ..graph import ComputationGraph, function
from ..tensor.variable import Variable

_UNUSED_SOURCES = ("raise", "warn", "ignore")


class TrainingAlgorithm:
    """Base class: ``initialize()`` once, then ``process_batch(batch)`` per batch."""

    def initialize(self, **kwargs: Any) -> None:
        """Prepare to train (compile the update function); the main loop calls it before the first batch."""
        raise NotImplementedError

    def process_batch(self, batch: Mapping[str, Any]) -> None:
        """Run one update on ``batch``, a dict from input name to array."""
        raise NotImplementedError


class UpdatesAlgorithm(TrainingAlgorithm):
    """Apply ``updates`` once per batch.

    Parameters
    ----------
    updates : list of (SharedVariable, Variable) or OrderedDict, optional
    on_unused_sources : {'raise', 'warn', 'ignore'}
        What to do with batch entries that no input of the updates reads.
    theano_func_kwargs : dict, optional
        Accepted for Blocks compatibility and ignored (there is no Theano).

    Attributes
    ----------
    parameters : list
        Empty: nothing is trained by gradient (``GradientDescent`` fills it).
    updates : list of (SharedVariable, Variable)
        Every new value is computed from the values before the batch.
        Changing it (or calling :meth:`add_updates`) after ``initialize()``
        recompiles at the next batch.
    inputs : list of Variable
        The inputs of the compiled function; batches give arrays for them by name.
    last_values : dict
        After each batch, every monitored value (see :meth:`add_monitored`).
    """

    def __init__(self, updates: Any = None, on_unused_sources: str = "raise",
                 theano_func_kwargs: Mapping | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if on_unused_sources not in _UNUSED_SOURCES:
            raise TrainingError(f"on_unused_sources must be one of {_UNUSED_SOURCES}, "
                                f"got {on_unused_sources!r}")
        self.updates = _as_update_list(updates or [])
        self.parameters: list = getattr(self, "parameters", [])
        self.on_unused_sources = on_unused_sources
        self.monitored: OrderedDict[str, Variable] = OrderedDict()
        self.last_values: dict[str, Any] = {}
        self._function = None
        self._compiled_updates: list = []
        self._warned = False

    @property
    def inputs(self) -> list[Variable]:
        """The inputs the update function reads, which batches give by name."""
        values = [new for _, new in self.all_updates()] + list(self.monitored.values())
        return ComputationGraph(values).inputs if values else []

    def add_updates(self, updates: Any) -> None:
        """Add ``updates`` (a list of pairs or an OrderedDict), computed from the old values too."""
        if isinstance(updates, OrderedDict):
            updates = list(updates.items())
        if not isinstance(updates, list):
            raise TrainingError(f"add_updates takes a list of (variable, new value) pairs or an "
                                f"OrderedDict, got {type(updates).__name__}")
        self.updates.extend(_as_update_list(updates))

    def state_variables(self) -> list:
        """The shared variables the updates change, in a stable order (for checkpoints)."""
        found: list = []
        for variable, _ in self.updates:
            if all(variable is not seen for seen in found):
                found.append(variable)
        return found

    def add_monitored(self, variables: Sequence[Variable]) -> None:
        """Compute ``variables`` with every batch, into ``last_values`` by name."""
        for var in variables:
            self.monitored[var.name or f"monitored_{len(self.monitored)}"] = var
        self._function = None

    def all_updates(self) -> list:
        """The updates one batch applies."""
        return list(self.updates)

    def initialize(self, **kwargs: Any) -> None:
        """Compile the function that applies the updates."""
        updates = self.all_updates()
        self._function = function(self.inputs, list(self.monitored.values()), updates=updates)
        self._compiled_updates = updates
        self._compiled_inputs = self.inputs

    def process_batch(self, batch: Mapping[str, Any] | Sequence[Any]) -> None:
        """Run one update on ``batch``: a dict by input name, or arrays in input order."""
        if self._function is None or not _same_updates(self._compiled_updates, self.all_updates()):
            self.initialize()
        values = self._function(*self._arguments(batch))
        values = values if isinstance(values, list) else [values]
        self.last_values = {n: (float(v) if np.ndim(v) == 0 else v)
                            for n, v in zip(self.monitored, values)}

    def _arguments(self, batch: Any) -> list:
        inputs = self._compiled_inputs
        if not isinstance(batch, Mapping):
            batch = list(batch)
            if len(batch) != len(inputs):
                raise TrainingError(f"a batch of {len(batch)} arrays for {len(inputs)} inputs "
                                    f"{[v.name for v in inputs]}")
            return batch
        names = [v.name for v in inputs]
        missing = [n for n in names if n not in batch]
        if missing:
            raise TrainingError(f"the batch has no data for inputs {missing}; it has {list(batch)}")
        unused = [n for n in batch if n not in names]
        if unused and self.on_unused_sources == "raise":
            raise TrainingError(f"the batch has data for {unused}, which the cost does not use "
                                f"(its inputs are {names}); pass on_unused_sources='ignore'")
        if unused and self.on_unused_sources == "warn" and not self._warned:
            import warnings
            warnings.warn(f"the batch has data for {unused}, which no input reads", stacklevel=3)
            self._warned = True
        return [batch[n] for n in names]


def _same_updates(first: list, second: list) -> bool:
    return len(first) == len(second) and all(a is c and b is d for (a, b), (c, d) in zip(first, second))


def _as_update_list(updates: Any) -> list:
    pairs = list(updates.items()) if isinstance(updates, Mapping) else list(updates)
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TrainingError(f"an update must be a (shared variable, new value) pair, got {pair!r}")
    return pairs
