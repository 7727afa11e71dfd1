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
    applications : list of bound or unbound applications, optional
        ``[mlp.apply]`` (that brick's) or ``[Linear.apply]`` (every brick's
        of that class, subclasses included, as in Blocks).
    name : str, optional
        The variable's exact name: its Blocks name (``tag.name``, such as
        ``output``) or its full name (``linear_apply_output``).
    name_regex : str, optional
        A regular expression searched in either name.
    theano_name, theano_name_regex : str, optional
        As Blocks: the full name only.
    call_id : optional
        The ``call_id`` keyword the application was called with.

    Notes
    -----
    Applied to a :class:`ComputationGraph`, it filters its variables.

    >>> from brickwork.roles import PARAMETER
    >>> only_parameters = VariableFilter(roles=[PARAMETER])
    """

    def __init__(self, roles: Iterable[VariableRole] | None = None, bricks: Iterable[Any] | None = None,
                 each_role: bool = False, name: str | None = None, name_regex: str | None = None,
                 applications: Iterable[Any] | None = None, theano_name: str | None = None,
                 theano_name_regex: str | None = None, call_id: Any = None):
        self.roles = list(roles) if roles is not None else None
        self.bricks = list(bricks) if bricks is not None else None
        self.each_role = each_role
        self.name, self.name_regex = name, name_regex
        self.applications = list(applications) if applications is not None else None
        self.theano_name, self.theano_name_regex, self.call_id = theano_name, theano_name_regex, call_id

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
        if self.applications is not None and not any(_made_by(var, brick, app) for app in self.applications):
            return False
        names = [n for n in (getattr(var.tag, "name", None), var.name) if n is not None]
        if self.name is not None and self.name not in names:
            return False
        if self.name_regex is not None and not any(re.search(self.name_regex, n) for n in names):
            return False
        if self.theano_name is not None and var.name != self.theano_name:
            return False
        if self.theano_name_regex is not None and not (var.name and re.search(self.theano_name_regex, var.name)):
            return False
        call = getattr(var.tag, "application_call", None)
        return self.call_id is None or (call is not None and call.metadata.get("call_id") == self.call_id)


def _made_by(var: Variable, brick: Any, app: Any) -> bool:
    """Whether ``var`` came from ``app``: a bound application, or an unbound one of its class."""
    if getattr(var.tag, "application", None) != app.name:
        return False
    if hasattr(app, "brick"):
        return brick is app.brick
    return app.owner is not None and isinstance(brick, app.owner)
