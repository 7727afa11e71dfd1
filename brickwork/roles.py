"""The roles a variable plays in a graph (``brickwork.roles``).

Roles are instances of a small class hierarchy, so that filtering by a role
also finds its sub-roles: every ``WEIGHT`` is a ``PARAMETER``. They live in
``variable.tag.roles``; :func:`add_role` attaches one and :func:`has_roles`
tests for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class VariableRole:
    """Base class of all roles."""

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        name = type(self).__name__
        return "".join("_" + c if c.isupper() and i else c for i, c in enumerate(name[:-4])).upper()


class InputRole(VariableRole):
    """An input of an application."""


class OutputRole(VariableRole):
    """An output of an application."""


class CostRole(VariableRole):
    """A quantity to minimize."""


class AuxiliaryRole(VariableRole):
    """A variable attached to an application call for monitoring or regularization."""


class PersistentRole(VariableRole):
    """A shared variable whose value is kept across calls (parameters, population statistics)."""


class ParameterRole(PersistentRole):
    """A shared variable that training changes."""


class WeightRole(ParameterRole):
    """A weight matrix or vector."""


class FilterRole(WeightRole):
    """A convolution filter."""


class BiasRole(ParameterRole):
    """A bias."""


class InitialStateRole(ParameterRole):
    """A learnable initial state of a recurrent brick."""


class DropoutRole(VariableRole):
    """A variable dropout was applied to."""


class CollectorRole(ParameterRole):
    """The one shared vector that holds collected parameters (``collect_parameters``)."""


class CollectedRole(VariableRole):
    """A slice of the collector that replaced a parameter."""


class AlgorithmStateRole(VariableRole):
    """State a training algorithm keeps (a velocity, a running average)."""


class AlgorithmHyperparameterRole(AlgorithmStateRole):
    """A hyperparameter of a step rule kept in a shared variable (a learning rate)."""


class AlgorithmBufferRole(AlgorithmStateRole):
    """A buffer of a step rule, one per parameter."""


class BatchNormPopulationStatisticsRole(PersistentRole):
    """A population statistic of batch normalization (its mean or standard deviation)."""


class BatchNormPopulationMeanRole(BatchNormPopulationStatisticsRole):
    """The population mean of batch normalization."""


class BatchNormPopulationStdevRole(BatchNormPopulationStatisticsRole):
    """The population standard deviation of batch normalization."""


class BatchNormScaleParameterRole(ParameterRole):
    """The scale (gamma) of batch normalization."""


class BatchNormShiftParameterRole(BiasRole):
    """The shift (beta) of batch normalization."""


class BatchNormGraphVariableRole(VariableRole):
    """A variable computed in a batch-normalized graph."""


class BatchNormOffsetRole(BatchNormGraphVariableRole):
    """The minibatch mean subtracted in training mode."""


class BatchNormDivisorRole(BatchNormGraphVariableRole):
    """The minibatch standard deviation divided by in training mode."""


class BatchNormMinibatchEstimateRole(BatchNormGraphVariableRole):
    """A minibatch mean or standard deviation, for updating the population statistics."""


INPUT, OUTPUT, COST, AUXILIARY = InputRole(), OutputRole(), CostRole(), AuxiliaryRole()
PARAMETER, WEIGHT, FILTER, BIAS = ParameterRole(), WeightRole(), FilterRole(), BiasRole()
INITIAL_STATE, DROPOUT = InitialStateRole(), DropoutRole()
COLLECTOR, COLLECTED = CollectorRole(), CollectedRole()
ALGORITHM_HYPERPARAMETER, ALGORITHM_BUFFER = AlgorithmHyperparameterRole(), AlgorithmBufferRole()
BATCH_NORM_POPULATION_MEAN, BATCH_NORM_POPULATION_STDEV = BatchNormPopulationMeanRole(), BatchNormPopulationStdevRole()
BATCH_NORM_SCALE_PARAMETER = BatchNormScaleParameterRole()
BATCH_NORM_SHIFT_PARAMETER = BatchNormShiftParameterRole()
BATCH_NORM_OFFSET, BATCH_NORM_DIVISOR = BatchNormOffsetRole(), BatchNormDivisorRole()
BATCH_NORM_MINIBATCH_ESTIMATE = BatchNormMinibatchEstimateRole()
BATCH_NORM_POPULATION_STATISTICS = BatchNormPopulationStatisticsRole()
BATCH_NORM_GRAPH_VARIABLE = BatchNormGraphVariableRole()
PERSISTENT, ALGORITHM_STATE = PersistentRole(), AlgorithmStateRole()


def add_role(variable: Any, role: VariableRole) -> None:
    """Attach ``role``, replacing any role it refines (WEIGHT replaces PARAMETER)."""
    roles = [old for old in variable.tag.roles if not isinstance(role, type(old))]
    if not any(isinstance(old, type(role)) for old in roles):
        roles.append(role)
    variable.tag.roles = roles


def has_roles(variable: Any, roles: Iterable[VariableRole], match_all: bool = False) -> bool:
    """Whether ``variable`` has any (or all) of ``roles``, sub-roles included."""
    found = [any(isinstance(r, type(role)) for r in variable.tag.roles) for role in roles]
    return all(found) if match_all else any(found)
