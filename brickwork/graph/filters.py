"""``VariableFilter``: pick variables of a graph by role, brick, application or name."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..roles import VariableRole, has_roles
from ..tensor.variable import Variable


class VariableFilter:
    """A callable that keeps the variables matching every criterion given.

    Parameters
    ----------
    roles : list of VariableRole, optional
        Any of them (sub-roles match too), or all of them with ``each_role=True``.
    bricks : list of Brick instances or classes, optional
        The brick that created the variable (an application's brick, or the
        owner of a parameter).
    applications : list of bound applications, optional
        For example ``[mlp.apply]``.
    name : str, optional
        The variable's exact name.
    name_regex : str, optional
        A regular expression searched in the variable's name.

    >>> from brickwork.roles import PARAMETER
    >>> only_parameters = VariableFilter(roles=[PARAMETER])
    """

    def __init__(self, roles: Iterable[VariableRole] | None = None, bricks: Iterable[Any] | None = None,
                 each_role: bool = False, name: str | None = None, name_regex: str | None = None,
                 applications: Iterable[Any] | None = None):
        self.roles = list(roles) if roles is not None else None
        self.bricks = list(bricks) if bricks is not None else None
        self.each_role = each_role
        self.name, self.name_regex = name, name_regex
        self.applications = list(applications) if applications is not None else None

    def __call__(self, variables: Iterable[Variable]) -> list[Variable]:
        return [v for v in variables if self.matches(v)]

    def matches(self, var: Variable) -> bool:
        """Whether ``var`` passes every criterion of the filter."""
        if self.roles is not None and not has_roles(var, self.roles, self.each_role):
            return False
        brick = getattr(var.tag, "brick", None)
        if self.bricks is not None and not any(
                brick is b or (isinstance(b, type) and isinstance(brick, b)) for b in self.bricks):
            return False
        if self.applications is not None and not any(
                brick is app.brick and getattr(var.tag, "application", None) == app.application.name
                for app in self.applications):
            return False
        if self.name is not None and var.name != self.name:
            return False
        return self.name_regex is None or (var.name is not None and re.search(self.name_regex, var.name))
