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


class ParameterRole(VariableRole):
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


INPUT, OUTPUT, COST, AUXILIARY = InputRole(), OutputRole(), CostRole(), AuxiliaryRole()
PARAMETER, WEIGHT, FILTER, BIAS = ParameterRole(), WeightRole(), FilterRole(), BiasRole()
INITIAL_STATE, DROPOUT = InitialStateRole(), DropoutRole()


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
