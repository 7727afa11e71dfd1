"""Bricks, applications and lazy configuration: the Blocks idioms.

A :class:`Brick` owns parameters and child bricks and transforms symbolic
variables through *applications*. Its life cycle, as in Blocks: construct
(some arguments may be left for later, see :func:`lazy`), push configuration
down to the children (``push_allocation_config``,
``push_initialization_config``), ``allocate()`` the parameters (shared
variables), ``initialize()`` their values, then ``apply``. Each step triggers
the ones before it when needed.

``@application`` (see :class:`Application`) marks a method that builds graph:
calling it on a brick tags the inputs and outputs with their roles, brick and
application, and names them ``<brick>_<application>_<name>``.

``@lazy(allocation=[...], initialization=[...])`` lets ``__init__`` be called
without those arguments; they can be set as attributes later, by the user or
by a parent brick. Allocating (or initializing) while one is still missing
raises an error naming the brick and the argument.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..errors import BrickError
from ..roles import AUXILIARY, INPUT, OUTPUT, VariableRole, add_role
from ..tensor.variable import SharedVariable, Variable, shared


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


class Brick:
    """Base class of bricks.

    Parameters
    ----------
    name : str, optional
        Default: the class name in lower case.
    children : list of Brick, optional
    """

    def __init__(self, name: str | None = None, children: Iterable | None = None):
        self.name = name or type(self).__name__.lower()
        self.parents: list[Brick] = []
        self.children = list(children or [])
        self.parameters: list[SharedVariable] = []
        self.allocated = self.initialized = False
        self.allocation_config_pushed = self.initialization_config_pushed = False

    @property
    def children(self) -> list[Brick]:
        return self._children

    @children.setter
    def children(self, value: Iterable) -> None:
        self._children = _Children(self, value)

    # -- configuration --------------------------------------------------------
    def push_allocation_config(self) -> None:
        """Pass allocation settings down to the children (recursively)."""
        self._push_allocation_config()
        self.allocation_config_pushed = True
        for child in self.children:
            child.push_allocation_config()

    def _push_allocation_config(self) -> None:
        """Hook: set the children's allocation attributes from this brick's."""

    def push_initialization_config(self) -> None:
        """Pass initialization settings down to the children (recursively)."""
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
        _require(self, getattr(self, "_lazy_allocation", ()), "allocate")
        self.parameters = []
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
        _require(self, getattr(self, "_lazy_initialization", ()), "initialize")
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

    def parameter(self, name: str) -> SharedVariable:
        """This brick's parameter called ``name``."""
        for param in self.parameters:
            if param.name == name:
                return param
        if not self.allocated:
            self.allocate()
            return self.parameter(name)
        raise BrickError(f"{self.get_hierarchical_name()} has no parameter {name!r}; "
                         f"it has {[p.name for p in self.parameters]}")

    def get_dim(self, name: str) -> int:
        """The size of the input or output ``name`` of an application."""
        raise BrickError(f"{self.get_hierarchical_name()}: no dimension is known for {name!r}")

    def get_dims(self, names: Iterable[str]) -> list[int]:
        return [self.get_dim(name) for name in names]

    def get_hierarchical_name(self) -> str:
        """The path from the root brick, such as ``/mlp/linear_0``."""
        path, brick = [self.name], self
        while brick.parents:
            brick = brick.parents[0]
            path.append(brick.name)
        return "/" + "/".join(reversed(path))

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
    """Let ``__init__`` be called without the named arguments (see the module doc)."""
    allocation, initialization = list(allocation), list(initialization)

    def decorator(init: Callable) -> Callable:
        signature = inspect.signature(init)

        @functools.wraps(init)
        def wrapped(self: Brick, *args: Any, **kwargs: Any) -> None:
            bound = signature.bind_partial(self, *args, **kwargs)
            for name in allocation + initialization:
                bound.arguments.setdefault(name, None)
            init(*bound.args, **bound.kwargs)
            self._lazy_allocation = list(getattr(self, "_lazy_allocation", [])) + allocation
            self._lazy_initialization = list(getattr(self, "_lazy_initialization", [])) + initialization
        return wrapped
    return decorator


class ApplicationCall:
    """What one call of an application knows; receives auxiliary variables."""

    def __init__(self, brick: Brick, application: Application):
        self.brick, self.application = brick, application
        self.auxiliary_variables: list[Variable] = []

    def add_auxiliary_variable(self, variable: Variable, roles: Iterable = (),
                               name: str | None = None) -> None:
        """Attach ``variable`` (for monitoring or regularization) to this call."""
        add_role(variable, AUXILIARY)
        for role in roles:
            add_role(variable, role)
        if name:
            variable.name = name
        variable.tag.brick = self.brick
        self.auxiliary_variables.append(variable)


class Application:
    """A method of a brick that builds graph; see the module doc.

    ``inputs`` and ``outputs`` name what it takes and returns; a brick may
    compute them per instance with ``@apply.property('outputs')``, or hand
    them over to another application with ``@apply.delegate``.
    """

    def __init__(self, function: Callable, inputs: list[str] | None = None,
                 outputs: list[str] | None = None):
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__
        parameters = list(inspect.signature(function).parameters)
        # Blocks puts application_call right after self; anywhere else it is a keyword
        self.call_position = (parameters.index("application_call")
                              if "application_call" in parameters else None)
        self.inputs = inputs if inputs is not None else [
            p for p in parameters[1:] if p != "application_call"
            and inspect.signature(function).parameters[p].kind not in (
                inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
        self.outputs = outputs if outputs is not None else ["output"]
        self.properties: dict[str, Callable] = {}
        self.delegate_function: Callable | None = None

    def property(self, name: str) -> Callable:
        """Decorator: compute attribute ``name`` (``'inputs'``, ``'outputs'``) per brick."""
        def register(function: Callable) -> Callable:
            self.properties[name] = function
            return function
        return register

    def delegate(self, function: Callable) -> Callable:
        """Decorator: take ``inputs``/``outputs`` from the application it returns."""
        self.delegate_function = function
        return function

    def __get__(self, brick: Brick | None, owner: type) -> Any:
        return self if brick is None else BoundApplication(self, brick)

    def attribute(self, brick: Brick, name: str) -> Any:
        if name in self.properties:
            return self.properties[name](brick)
        if self.delegate_function is not None and name in ("inputs", "outputs"):
            return getattr(self.delegate_function(brick), name)
        return getattr(self, name)

    def call(self, brick: Brick, *args: Any, **kwargs: Any) -> Any:
        """Run the method on ``brick``, tagging inputs and outputs."""
        if not brick.allocated:
            brick.allocate()
        call = ApplicationCall(brick, self)
        names = self.attribute(brick, "inputs")
        args = [_tagged(a, brick, self, INPUT, names[i] if i < len(names) else None)
                for i, a in enumerate(args)]
        kwargs = {k: _tagged(v, brick, self, INPUT, k) for k, v in kwargs.items()}
        if self.call_position == 1:
            args.insert(0, call)
        elif self.call_position is not None:
            kwargs["application_call"] = call
        result = self.function(brick, *args, **kwargs)
        names = self.attribute(brick, "outputs")
        many = isinstance(result, (list, tuple))
        results = list(result) if many else [result]
        outputs = [_tagged(r, brick, self, OUTPUT, names[i] if i < len(names) else f"output_{i}",
                           call) for i, r in enumerate(results)]
        return outputs if many else outputs[0]


class BoundApplication:
    """An application together with the brick it is called on."""

    def __init__(self, application: Application, brick: Brick):
        self.application, self.brick = application, brick

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.application.call(self.brick, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return self.application.attribute(self.brick, name)

    def __repr__(self) -> str:
        return f"<application {self.brick.get_hierarchical_name()}.{self.application.name}>"


def _tagged(value: Any, brick: Brick, app: Application, role: VariableRole,
            name: str | None = None, call: ApplicationCall | None = None) -> Any:
    """A copy of ``value`` (if a variable) tagged with ``role``, brick and application."""
    if not isinstance(value, Variable):
        return value
    copy = value.copy(name=f"{brick.name}_{app.name}_{name}" if name else value.name)
    add_role(copy, role)
    copy.tag.brick, copy.tag.application = brick, app.name
    if call is not None:
        copy.tag.application_call = call
    return copy


def application(*args: Any, inputs: list[str] | None = None,
                outputs: list[str] | None = None) -> Any:
    """Mark a brick method as an application: ``@application`` or
    ``@application(inputs=[...], outputs=[...])``."""
    if args and callable(args[0]):
        return Application(args[0])
    return lambda function: Application(function, inputs, outputs)
