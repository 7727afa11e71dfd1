"""``GradientDescent``: ``p <- p - step`` with steps from a step rule, as in Blocks."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..distributed import DataParallel
from ..errors import TrainingError
from ..graph import ComputationGraph, grad
from ..tensor.variable import SharedVariable, Variable
from .base import UpdatesAlgorithm
from .step_rules import Scale, StepRule, global_norm

_BUILT_IN = ("cost", "total_gradient_norm")


class GradientDescent(UpdatesAlgorithm):
    """Minimize a cost by ``p <- p - step`` with steps from ``step_rule``.

    Parameters
    ----------
    cost : scalar Variable, optional
        Differentiated unless ``gradients`` are given (then it is only
        monitored, as ``last_values['cost']``).
    parameters : list of SharedVariable, optional
        Default: the keys of ``gradients``, or else every variable of the
        cost's graph with role PARAMETER (Blocks required them here).
    step_rule : StepRule, optional
        Default ``Scale(1.0)`` (plain gradient descent, as Blocks).
    gradients : OrderedDict, dict or list of (parameter, gradient), optional
        Gradients already computed; their order is the parameters' order
        (a plain dict keeps its insertion order in Python 3).
    known_grads, consider_constant : optional
        Passed to :func:`~brickwork.graph.grad`; only without ``gradients``.
    updates : list of (SharedVariable, Variable), optional
        More updates, applied with each step (from the old values too).
    on_unused_sources : {'raise', 'warn', 'ignore'}
    theano_func_kwargs : dict, optional
        Ignored (Blocks compatibility).
    distributed : bool
        Train data-parallel over the processes of ``mpiexec`` on batches
        from a stream made with ``distributed=True``
        (:class:`brickwork.distributed.DataParallel`); needs a cost.
    count : scalar Variable, optional
        With ``distributed``: what the cost averages over in a batch when it
        is not the examples (the unmasked steps of a masked mean).

    Attributes
    ----------
    parameters : list of SharedVariable
        In a fixed order: the order of every update and of checkpoints.
    gradients, steps : OrderedDict from parameter to Variable
    step_rule_updates : list of (SharedVariable, Variable)
        The step rule's state updates.
    total_gradient_norm, total_step_norm : scalar Variable
    updates : list of (SharedVariable, Variable)
        The given updates, then ``(p, p - step)`` per parameter, then the
        step rule's updates; :meth:`add_updates` appends.
    extra_updates : list of (SharedVariable, Variable)
        Applied with the others (the carried states of a stateful model).
    last_values : dict
        After each batch: ``cost``, ``total_gradient_norm`` and every
        monitored variable, as floats or arrays.

    Raises
    ------
    TrainingError
        Without a cost and without gradients, or when nothing is trainable.
    """

    def __init__(self, cost: Variable | None = None, parameters: Sequence[SharedVariable] | None = None,
                 step_rule: StepRule | None = None, gradients: Any = None, known_grads: Mapping | None = None,
                 consider_constant: Sequence | None = None, updates: Any = None,
                 distributed: bool = False, count: Variable | None = None, **kwargs: Any):
        self.cost = cost
        self.gradients = _given_gradients(gradients, parameters, known_grads, consider_constant)
        if self.gradients is None:
            self.gradients = _computed_gradients(cost, parameters, known_grads, consider_constant)
        self.parameters = list(self.gradients)
        self.total_gradient_norm = global_norm(self.gradients)
        self.total_gradient_norm.name = "total_gradient_norm"
        self.step_rule = step_rule if step_rule is not None else Scale()
        self.steps, self.step_rule_updates = self.step_rule.compute_steps(self.gradients)
        self.total_step_norm = global_norm(self.steps)
        self.total_step_norm.name = "total_step_norm"
        descent = [(p, p - self.steps[p]) for p in self.parameters]
        super().__init__(updates=list(updates or []) + descent + list(self.step_rule_updates), **kwargs)
        self.extra_updates: list = []
        if cost is not None:
            self.monitored["cost"] = cost
        self.monitored["total_gradient_norm"] = self.total_gradient_norm
        self.distributed = distributed
        if distributed and cost is None:
            raise TrainingError("GradientDescent(distributed=True) needs the cost (it all-reduces "
                                "the cost with the gradients)")
        self.data_parallel = DataParallel(self, count) if distributed else None

    @property
    def rule_updates(self) -> list:
        """The step rule's state updates (the name before Blocks parity)."""
        return self.step_rule_updates

    def all_updates(self) -> list:
        return list(self.updates) + list(self.extra_updates)

    def initialize(self, **kwargs: Any) -> None:
        """Compile the update function (with ``distributed``, the local and the step functions)."""
        if self.data_parallel is None:
            super().initialize()
            return
        updates = self.all_updates()
        self.data_parallel.compile(updates, self._extra_monitored())
        self._function, self._compiled_updates, self._compiled_inputs = self.data_parallel, updates, self.inputs

    def process_batch(self, batch: Mapping[str, Any] | Sequence[Any]) -> None:
        """Run one update on ``batch``: a dict by input name, or arrays in input order."""
        if self.data_parallel is None:
            super().process_batch(batch)
            return
        if self._function is None:
            self.initialize()
        values = self.data_parallel.run(batch, self._arguments(batch))
        names = ["cost", "total_gradient_norm"] + [n for n in self.monitored if n not in _BUILT_IN]
        self.last_values = {n: (float(v) if np.ndim(v) == 0 else v) for n, v in zip(names, values)}

    def _extra_monitored(self) -> list[Variable]:
        return [v for n, v in self.monitored.items() if n not in _BUILT_IN]

    def state_variables(self) -> list[SharedVariable]:
        """What training changes besides the parameters, in a stable order (for checkpoints):
        the step rule's state, then the targets of the other updates (given, added with
        :meth:`add_updates` or in ``extra_updates``: carried states, say)."""
        found = list(self.step_rule.state_variables())
        for var, _ in self.all_updates():
            if not any(var is known for known in found + self.parameters):
                found.append(var)
        return found


def _given_gradients(gradients: Any, parameters: Sequence | None, known_grads: Any,
                     consider_constant: Any) -> OrderedDict | None:
    if not gradients:
        return None
    if known_grads or consider_constant is not None:
        raise TrainingError("GradientDescent: known_grads and consider_constant have no effect "
                            "when gradients are given")
    given = OrderedDict(gradients.items() if isinstance(gradients, Mapping) else gradients)
    if parameters is not None and {id(p) for p in parameters} != {id(p) for p in given}:
        warnings.warn("GradientDescent: the parameters do not match the keys of the gradients; "
                      "using the parameters of the gradients", stacklevel=3)
        return given
    order = list(parameters) if parameters is not None else list(given)
    return OrderedDict((p, given[p]) for p in order)


def _computed_gradients(cost: Variable | None, parameters: Sequence | None, known_grads: Any,
                        consider_constant: Any) -> OrderedDict:
    if cost is None:
        raise TrainingError("GradientDescent needs a cost to differentiate or the gradients: "
                            "pass cost=... or gradients=... (neither was given)")
    parameters = list(parameters) if parameters is not None else ComputationGraph(cost).parameters
    if not parameters:
        raise TrainingError("GradientDescent: no parameters to train; the cost depends on no "
                            "variable with role PARAMETER and none were given")
    values = grad(cost, parameters, known_grads=known_grads, consider_constant=consider_constant)
    return OrderedDict(zip(parameters, values))
