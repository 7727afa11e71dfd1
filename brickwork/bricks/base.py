"""Bricks, applications and lazy configuration: the Blocks idioms.

A :class:`Brick` owns parameters and child bricks and transforms symbolic
variables through *applications*. Its life cycle, as in Blocks: construct
(some arguments may be left for later, see :func:`lazy`), push configuration
down to the children (``push_allocation_config``,
``push_initialization_config``), ``allocate()`` the parameters (shared
variables), ``initialize()`` their values, then ``apply``. Each step triggers
the ones before it when needed.

``@application`` (see :mod:`brickwork.bricks.application`) marks a method
that builds graph: calling it on a brick tags the inputs and outputs with
their roles, brick and application, and names them
``<brick>_<application>_<name>``.

``@lazy(allocation=[...], initialization=[...])`` lets ``__init__`` be called
without those arguments; they can be set as attributes later, by the user or
by a parent brick. Allocating (or initializing) while one is still missing
raises an error naming the brick and the argument.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ..errors import BrickError
from ..roles import VariableRole, add_role
from ..tensor.variable import SharedVariable, shared
from .application import Application, ApplicationCall, BoundApplication, application

__all__ = ["Application", "ApplicationCall", "BoundApplication", "Brick", "application",
           "check_features", "lazy"]


class _Children(list):
    """The list of a brick's children; adding one records its parent."""

    def __init__(self, owner: Brick | None = None, items: Iterable = ()):
        super().__init__()
        self.owner = owner
        self.extend(items)

    def append(self, child: Brick) -> None:
        if not isinstance(child, Brick):
            raise BrickError(f"{self.owner.name}: a child must be a Brick, got {child!r}")
        super().append(child)
        if self.owner not in child.parents:
            child.parents.append(self.owner)

    def extend(self, children: Iterable) -> None:
        for child in children:
            self.append(child)

    def __reduce__(self) -> tuple:
        # the children's parents are pickled with them; rebuilding must not append again
        return _restored_children, (self.owner, list(self))


def _restored_children(owner: Brick, children: list) -> _Children:
    restored = _Children(owner)
    list.extend(restored, children)
    return restored


class Brick:
    """Base class of bricks.

    Parameters
    ----------
    name : str, optional
        Default: the class name in lower case.
    children : list of Brick, optional
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Blocks' hook: wrappers listed in the class's own ``decorators`` rewrite its applications
        super().__init_subclass__(**kwargs)
        for decorator in cls.__dict__.get("decorators", ()):
            decorator(cls)

    def __init__(self, name: str | None = None, children: Iterable | None = None):
        self.name = name or type(self).__name__.lower()
        self.parents: list[Brick] = []
        self.children = list(children or [])
        self.auxiliary_variables: list[Any] = []
        self.allocated = self.initialized = False
        self.allocation_config_pushed = self.initialization_config_pushed = False

    @property
    def children(self) -> list[Brick]:
        """The child bricks, in order; setting it makes each new child's parent this brick."""
        return self._children

    @children.setter
    def children(self, value: Iterable) -> None:
        self._children = _Children(self, value)

    # -- configuration --------------------------------------------------------
    def push_allocation_config(self) -> None:
        """Pass allocation settings down to the children (recursively).

        When a brick of the tree fails, every flag of the tree is left as it was.
        """
        with _flags_restored_on_error(self, "allocation_config_pushed"):
            self._push_allocation_config()
            self.allocation_config_pushed = True
            for child in self.children:
                child.push_allocation_config()

    def _push_allocation_config(self) -> None:
        """Hook: set the children's allocation attributes from this brick's."""

    def push_initialization_config(self) -> None:
        """Pass initialization settings down to the children (recursively)."""
        with _flags_restored_on_error(self, "initialization_config_pushed"):
            self._push_initialization_config()
            self.initialization_config_pushed = True
            for child in self.children:
                child.push_initialization_config()

    def _push_initialization_config(self) -> None:
        """Hook: set the children's initialization attributes from this brick's."""

    def allocate(self) -> None:
        """Create the parameters of this brick and its children (values unset)."""
        if not self.allocation_config_pushed:
            self.push_allocation_config()
        for child in self.children:
            if not child.allocated:  # a child allocated on its own keeps its parameters
                child.allocate()
        _require(self, getattr(self, "allocation_args", ()), "allocate")
        self.parameters, self.auxiliary_variables = [], []
        self._allocate()
        self.allocated = True

    def _allocate(self) -> None:
        """Hook: create parameters with :meth:`add_parameter`."""

    def initialize(self) -> None:
        """Set the parameter values of this brick and its children."""
        if not self.allocated:
            self.allocate()
        if not self.initialization_config_pushed:
            self.push_initialization_config()
        for child in self.children:
            child.initialize()
        _require(self, getattr(self, "initialization_args", ()), "initialize")
        self._initialize()
        self.initialized = True

    def _initialize(self) -> None:
        """Hook: fill parameters, typically with ``self.weights_init``."""

    # -- parameters and dimensions ----------------------------------------------
    def add_parameter(self, name: str, shape: tuple[int, ...], role: VariableRole,
                      zero: bool = False) -> SharedVariable:
        """Create a parameter of this brick (zero, or uninitialized until ``initialize``).

        An uninitialized parameter raises when a compiled function reads it.
        """
        from .. import config
        param = shared(np.zeros(shape, dtype=config.floatX), name=name)
        param.initialized = zero
        param.tag.brick = self
        add_role(param, role)
        self.parameters.append(param)
        return param

    @property
    def parameters(self) -> list[SharedVariable]:
        """The shared variables of this brick; there are none before ``allocate()``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{self.get_hierarchical_name()} has no parameters before "
                                 f"allocate() (or the first application call)")
        return self._parameters

    @parameters.setter
    def parameters(self, value: Iterable[SharedVariable]) -> None:
        self._parameters = list(value)

    def add_auxiliary_variable(self, variable: Any, roles: Iterable = (), name: str | None = None) -> None:
        """Attach ``variable`` to this brick (for monitoring); graphs using the brick collect it."""
        from ..roles import AUXILIARY
        add_role(variable, AUXILIARY)
        for role in roles or ():
            add_role(variable, role)
        if name:
            variable.name = variable.tag.name = name
        variable.tag.brick = self
        self.auxiliary_variables.append(variable)

    def parameter(self, name: str) -> SharedVariable:
        """This brick's parameter called ``name`` (parameters exist after ``allocate()``)."""
        for param in self.__dict__.get("_parameters", ()):
            if param.name == name:
                return param
        if not self.allocated:
            raise BrickError(f"{self.get_hierarchical_name()} has no parameter {name!r} yet: "
                             f"parameters exist after allocate() (or the first application call)")
        raise BrickError(f"{self.get_hierarchical_name()} has no parameter {name!r}; "
                         f"it has {[p.name for p in self.parameters]}")

    def get_dim(self, name: str) -> int:
        """The size of the input or output ``name`` of an application."""
        raise BrickError(f"{self.get_hierarchical_name()}: no dimension is known for {name!r}")

    def get_dims(self, names: Iterable[str]) -> list[int]:
        """``[get_dim(name) for name in names]``."""
        return [self.get_dim(name) for name in names]

    def get_unique_path(self) -> list[Brick]:
        """The bricks from the root down to this one (through each first parent)."""
        path, brick = [self], self
        while brick.parents:
            brick = brick.parents[0]
            path.append(brick)
        return list(reversed(path))

    def get_hierarchical_name(self, parameter: Any = None, delimiter: str = "/") -> str:
        """The path from the root brick, such as ``/mlp/linear_0``.

        Given a parameter, its name follows a dot, as in Blocks: ``/mlp/linear_0.W``.
        """
        path = delimiter + delimiter.join(brick.name for brick in self.get_unique_path())
        return path if parameter is None else f"{path}.{parameter.name}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def check_features(brick: Brick, application: str, name: str, variable: Any,
                   expected: int, what: str) -> None:
    """Raise when ``variable``'s static feature (last-axis) size is not ``expected``.

    The message names the brick path, application, input and both sizes, e.g.
    ``/mlp/linear_1.apply: input 'input_' has 5 features, but input_dim is 3``.
    """
    static = getattr(variable, "static_shape", ())
    if static and static[-1] is not None and expected is not None and static[-1] != expected:
        raise BrickError(f"{brick.get_hierarchical_name()}.{application}: input {name!r} has "
                         f"{static[-1]} features, but {what} is {expected}")


def _require(brick: Brick, names: Iterable[str], action: str) -> None:
    for name in names:
        if getattr(brick, name, None) is None:
            raise BrickError(f"{brick.get_hierarchical_name()}: cannot {action}, "
                             f"{name!r} is not set (pass it to the constructor or set "
                             f"brick.{name} before calling {action}())")


def lazy(allocation: Iterable[str] = (), initialization: Iterable[str] = ()) -> Callable:
    """Let ``__init__`` be called without the named arguments (see the module doc).

    The names are listed on the brick as ``allocation_args`` and
    ``initialization_args``; an argument given both by position and by
    keyword is an error naming it.
    """
    allocation, initialization = list(allocation or ()), list(initialization or ())

    def decorator(init: Callable) -> Callable:
        names = list(inspect.signature(init).parameters)[1:]

        @functools.wraps(init)
        def wrapped(self: Brick, *args: Any, **kwargs: Any) -> None:
            twice = [name for name in names[:len(args)] if name in kwargs]
            if twice:
                raise BrickError(f"{type(self).__name__}: argument(s) {twice} given both by "
                                 f"position and by keyword")
            # a subclass's ``__init__`` and its base's may both list a name: keep it once
            self.allocation_args = list(dict.fromkeys([*getattr(self, "allocation_args", []), *allocation]))
            self.initialization_args = list(dict.fromkeys([*getattr(self, "initialization_args", []),
                                                           *initialization]))
            for name in allocation + initialization:
                if name not in kwargs and name not in names[:len(args)]:
                    kwargs[name] = None
            init(self, *args, **kwargs)
        return wrapped
    return decorator


@contextlib.contextmanager
def _flags_restored_on_error(root: Brick, flag: str) -> Iterator[None]:
    """Put ``flag`` back on every brick of ``root``'s tree when the body raises."""
    bricks, stack = [], [root]
    while stack:
        brick = stack.pop()
        if all(brick is not seen for seen in bricks):
            bricks.append(brick)
            stack.extend(brick.children)
    before = [getattr(brick, flag) for brick in bricks]
    try:
        yield
    except Exception:
        for brick, value in zip(bricks, before):
            setattr(brick, flag, value)
        raise
