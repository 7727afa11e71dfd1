"""``GradientDescent``: one compiled function that computes and applies an update."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import tensor
from ..distributed import DataParallel
from ..errors import TrainingError
from ..graph import ComputationGraph, function, grad
from ..tensor.variable import SharedVariable, Variable
from .step_rules import CompositeRule, RemoveNotFinite, Scale, StepRule, global_norm


class GradientDescent:
    """Minimize ``cost`` by ``p <- p - step`` with steps from ``step_rule``.

    Parameters
    ----------
    cost : scalar Variable
    parameters : list of SharedVariable, optional
        Default: every variable of the cost's graph with role PARAMETER.
    step_rule : StepRule, optional
        Default ``Scale(0.1)``.
    gradients : dict, optional
        Gradients already computed, by parameter.
    on_unused_sources : {'raise', 'ignore'}
        What to do with batch entries that are not inputs of the cost.
    distributed : bool
        Train data-parallel over the processes of ``mpiexec`` on batches
        from a stream made with ``distributed=True``
        (:class:`brickwork.distributed.DataParallel`).
    count : scalar Variable, optional
        With ``distributed``: what the cost averages over in a batch when it
        is not the examples (the unmasked steps of a masked mean).

    Attributes
    ----------
    inputs : list of Variable
        The cost's inputs; batches give arrays for them by name.
    total_gradient_norm : Variable
    extra_updates : list of (SharedVariable, Variable)
        More updates to apply with each step (for example the carried
        states of a stateful recurrent model); set before ``initialize``.
    last_values : dict
        After each batch: ``cost``, ``total_gradient_norm`` and every
        monitored variable, as floats or arrays.
    """

    def __init__(self, cost: Variable, parameters: Sequence[SharedVariable] | None = None,
                 step_rule: StepRule | None = None, gradients: Mapping | None = None,
                 on_unused_sources: str = "raise", distributed: bool = False,
                 count: Variable | None = None):
        self.cost = cost
        graph = ComputationGraph(cost)
        self.parameters = list(parameters) if parameters is not None else graph.parameters
        if not self.parameters:
            raise TrainingError("GradientDescent: the cost depends on no parameters")
        self.inputs = graph.inputs
        self.step_rule = step_rule if step_rule is not None else Scale(0.1)
        given = dict(gradients or {})
        missing = [p for p in self.parameters if p not in given]
        computed = dict(zip(missing, grad(cost, missing))) if missing else {}
        self.gradients = OrderedDict((p, given.get(p, computed.get(p))) for p in self.parameters)
        self.total_gradient_norm = global_norm(self.gradients)
        # the rule's state variables exist from here on, so checkpoints can be loaded before compiling
        self.steps, self.rule_updates = self.step_rule.compute_steps(self.gradients)
        self.on_unused_sources = on_unused_sources
        self.monitored: OrderedDict[str, Variable] = OrderedDict()
        self.extra_updates: list = []
        self.last_values: dict[str, Any] = {}
        self._function = None
        self.distributed = distributed
        self.data_parallel = DataParallel(self, count) if distributed else None

    def add_monitored(self, variables: Sequence[Variable]) -> None:
        """Compute ``variables`` with every update (call before ``initialize``)."""
        for var in variables:
            self.monitored[var.name or f"monitored_{len(self.monitored)}"] = var
        self._function = None

    def state_variables(self) -> list[SharedVariable]:
        """The step rule's state, in a stable order (for checkpoints)."""
        return self.step_rule.state_variables()

    def initialize(self) -> None:
        """Compile the update function."""
        updates = [(p, p - self.steps[p]) for p in self.parameters] + self.rule_updates + self.extra_updates
        if _uses(self.step_rule, RemoveNotFinite):
            finite = tensor.isfinite(global_norm(self.steps))
            updates = [(var, tensor.where(finite, new, var)) for var, new in updates]
        if self.data_parallel is not None:
            self.data_parallel.compile(updates, list(self.monitored.values()))
            self._function = self.data_parallel
            return
        outputs = [self.cost, self.total_gradient_norm] + list(self.monitored.values())
        self._function = function(self.inputs, outputs, updates=updates)

    def process_batch(self, batch: Mapping[str, Any] | Sequence[Any]) -> None:
        """Run one update on ``batch``: a dict by input name, or arrays in input order."""
        if self._function is None:
            self.initialize()
        if self.data_parallel is not None:
            values = self.data_parallel.run(batch, self._arguments(batch))
        else:
            values = self._function(*self._arguments(batch))
        names = ["cost", "total_gradient_norm"] + list(self.monitored)
        self.last_values = {n: (float(v) if np.ndim(v) == 0 else v) for n, v in zip(names, values)}

    def _arguments(self, batch: Any) -> list:
        if not isinstance(batch, Mapping):
            batch = list(batch)
            if len(batch) != len(self.inputs):
                raise TrainingError(f"a batch of {len(batch)} arrays for {len(self.inputs)} inputs "
                                    f"{[v.name for v in self.inputs]}")
            return batch
        names = [v.name for v in self.inputs]
        missing = [n for n in names if n not in batch]
        if missing:
            raise TrainingError(f"the batch has no data for inputs {missing}; it has {list(batch)}")
        unused = [n for n in batch if n not in names]
        if unused and self.on_unused_sources == "raise":
            raise TrainingError(f"the batch has data for {unused}, which the cost does not use "
                                f"(its inputs are {names}); pass on_unused_sources='ignore'")
        return [batch[n] for n in names]


def _uses(rule: StepRule, kind: type) -> bool:
    if isinstance(rule, kind):
        return True
    return isinstance(rule, CompositeRule) and any(_uses(r, kind) for r in rule.rules)
