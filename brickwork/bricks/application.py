"""Applications: the brick methods that build graph (``@application``).

An :class:`Application` lives on a brick class. Looked up on a brick it gives
that brick's :class:`BoundApplication`, created once per brick and class, so
an attribute set on it (``brick.apply.inputs = [...]``) changes that brick
only, as in Blocks. Looked up on the class it is the :class:`Application`
itself, callable with the brick first (``Linear.apply(brick, x)``).

An attribute of a bound application is found, in order: set on the bound
application; computed per brick by ``@apply.property(name)``; given to the
decorator (``@application(inputs=..., contexts=...)``); asked of the
delegate (``@apply.delegate``, often ``super().apply`` in an overriding
class); a default (``inputs`` from the signature, ``outputs`` ``['output']``).

A call tags each variable input and output with its role, brick,
application and call, and names it ``<brick>_<application>_<name>``.
One output comes back as the variable, several as a list (also when the
method returned a one-element list, as Blocks unpacks it); the call keywords
``as_list=True`` and ``as_dict=True`` ask for a list or an ordered dict.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import BrickError
from ..roles import AUXILIARY, INPUT, OUTPUT, VariableRole, add_role
from ..tensor.sites import Site, building
from ..tensor.variable import Variable

_OWN = ("application", "brick")


class ApplicationCall:
    """What one call of an application knows; receives auxiliary variables.

    Attributes
    ----------
    brick : Brick
    application : BoundApplication
    auxiliary_variables : list of Variable
    metadata : dict
        Free-form; ``call_id`` holds the call keyword of that name.
    """

    def __init__(self, brick: Any, application: Any):
        self.brick, self.application = brick, application
        self.auxiliary_variables: list[Variable] = []
        self.metadata: dict[str, Any] = {}

    def add_auxiliary_variable(self, variable: Variable, roles: Iterable = (),
                               name: str | None = None) -> None:
        """Attach ``variable`` (for monitoring or regularization) to this call.

        With ``name``, the variable is named ``<brick>_<application>_<name>``
        as in Blocks, and ``variable.tag.name`` is ``name``.
        """
        add_role(variable, AUXILIARY)
        for role in roles or ():
            add_role(variable, role)
        if name:
            variable.name = f"{self.brick.name}_{self.application.name}_{name}"
            variable.tag.name = name
        variable.tag.brick = self.brick
        self.auxiliary_variables.append(variable)


class Application:
    """A method of a brick class that builds graph; see the module doc.

    Parameters
    ----------
    function : callable
        The method; ``application_call`` (and ``application``) among its
        parameters receive the :class:`ApplicationCall` (and the bound
        application).
    **attributes
        Such as ``inputs``, ``outputs``, ``contexts``; readable (and
        settable per brick) on the bound application.
    """

    def __init__(self, function: Callable, **attributes: Any):
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__
        self.owner: type | None = None
        self.properties: dict[str, Callable] = {}
        self.delegate_function: Callable | None = None
        signature = inspect.signature(function).parameters
        self.argument_names = [n for n, p in list(signature.items())[1:]
                               if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        self.varargs_name = next((n for n, p in signature.items() if p.kind == p.VAR_POSITIONAL), None)
        for key, value in attributes.items():
            if value is not None:
                setattr(self, key, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__.get("properties", {}):
            raise AttributeError(f"{name!r} of application {self.name!r} is computed per brick "
                                 f"by a property; it cannot be set")
        super().__setattr__(name, value)

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner

    def __reduce__(self) -> tuple:
        return getattr, (self.owner, self.name)

    def property(self, name: str) -> Callable:
        """Decorator: compute attribute ``name`` (``'inputs'``, ``'outputs'``) per brick."""
        if not isinstance(name, str):
            raise BrickError(f"{self.name}.property: the name must be a string, got {name!r}")

        def register(function: Callable) -> Callable:
            self.properties[name] = function
            return function
        return register

    def delegate(self, function: Callable) -> Callable:
        """Decorator: attributes not found here come from the application it returns."""
        self.delegate_function = function
        return function

    def __get__(self, brick: Any, owner: type) -> Any:
        if brick is None:
            return self
        bound = brick.__dict__.setdefault("_bound_applications", {})
        key = f"{self.owner.__name__ if self.owner else ''}.{self.name}"
        if key not in bound:
            bound[key] = BoundApplication(self, brick)
        return bound[key]

    def __call__(self, brick: Any, *args: Any, **kwargs: Any) -> Any:
        """Call through the class: ``Linear.apply(brick, x)``."""
        return self.__get__(brick, type(brick))(*args, **kwargs)

    def default(self, name: str) -> Any:
        """The value of ``name`` when nothing sets it."""
        if name == "inputs":
            return list(self.argument_names)
        if name == "outputs":
            return ["output"]
        raise AttributeError(f"application {self.name!r} has no attribute {name!r}")

    def input_name(self, position: int, bound: BoundApplication) -> str | None:
        """The name of the positional argument at ``position``."""
        names = [n for n in self.argument_names if n not in ("application_call", "application")]
        if position < len(names):
            return names[position]
        inputs = bound.inputs
        if position < len(inputs):
            return inputs[position]
        return f"{self.varargs_name}_{position - len(names)}" if self.varargs_name else None


class BoundApplication:
    """An application together with the brick it is called on (see the module doc)."""

    def __init__(self, application: Application, brick: Any):
        self.application, self.brick = application, brick

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in _OWN:
            raise AttributeError(name)
        app = self.application
        if name in app.properties:
            return app.properties[name](self.brick)
        if name in app.__dict__:
            return app.__dict__[name]
        if app.delegate_function is not None:
            try:
                return getattr(app.delegate_function(self.brick), name)
            except AttributeError:
                pass
        return app.default(name)

    @property
    def name(self) -> str:
        """The application's name, such as ``'apply'``."""
        return self.application.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return call_application(self, list(args), kwargs)

    def __repr__(self) -> str:
        return f"<application {self.brick.get_hierarchical_name()}.{self.name}>"


def call_application(bound: BoundApplication, args: list, kwargs: dict) -> Any:
    """Run ``bound`` on its brick: tag inputs, call, tag and shape the outputs."""
    as_list, as_dict = kwargs.pop("as_list", False), kwargs.pop("as_dict", False)
    if as_list and as_dict:
        raise BrickError(f"{bound!r}: as_list and as_dict cannot both be set")
    app, brick = bound.application, bound.brick
    call = ApplicationCall(brick, bound)
    call.metadata["call_id"] = kwargs.pop("call_id", None)
    if not brick.allocated:
        brick.allocate()
    args = [tagged(a, brick, app.name, INPUT, app.input_name(i, bound), call)
            for i, a in enumerate(args)]
    kwargs = {k: tagged(v, brick, app.name, INPUT, k, call) for k, v in kwargs.items()}
    named = [*((app.input_name(i, bound), a) for i, a in enumerate(args)), *kwargs.items()]
    site = Site(brick, app.name, {k: v for k, v in named if k is not None and isinstance(v, Variable)})
    for special, value in (("application", bound), ("application_call", call)):
        if special in app.argument_names:
            position = app.argument_names.index(special)
            if position <= len(args):
                args.insert(position, value)
            else:
                kwargs[special] = value
    with building(site):  # the nodes built by the application record it
        result = app.function(brick, *args, **kwargs)
    results = list(result) if isinstance(result, (list, tuple)) else [result]
    names = _output_names(bound, results)
    outputs = [tagged(r, brick, app.name, OUTPUT, name, call) for r, name in zip(results, names)]
    if as_dict:
        return OrderedDict(zip(names, outputs))
    if as_list:
        return outputs
    return outputs[0] if len(outputs) == 1 else outputs


def _output_names(bound: BoundApplication, results: list) -> list[str]:
    """The declared output names; undeclared, ``output`` for one result, else ``output_<i>``."""
    try:
        names = list(bound.outputs)
    except AttributeError:
        names = None
    declared = names is not None and (names != ["output"] or "outputs" in _declared(bound))
    if not declared:
        return ["output"] if len(results) == 1 else [f"output_{i}" for i in range(len(results))]
    if len(names) < len(results) and any(isinstance(r, Variable) for r in results[len(names):]):
        raise BrickError(f"{bound!r}: returned {len(results)} values for the outputs {names}")
    return names + [f"output_{i}" for i in range(len(names), len(results))]


def _declared(bound: BoundApplication) -> set[str]:
    app = bound.application
    found = set(bound.__dict__) | set(app.properties) | set(app.__dict__)
    return found | ({"outputs"} if app.delegate_function is not None else set())


def tagged(value: Any, brick: Any, application_name: str, role: VariableRole,
           name: str | None = None, call: ApplicationCall | None = None) -> Any:
    """A copy of ``value`` (if a variable) tagged with ``role``, brick and application."""
    if not isinstance(value, Variable):
        return value
    copy = value.copy(name=f"{brick.name}_{application_name}_{name}" if name else value.name)
    add_role(copy, role)
    copy.tag.brick, copy.tag.application = brick, application_name
    if name:
        copy.tag.name = name
    if call is not None:
        copy.tag.application_call = call
    return copy


def application(*args: Any, **attributes: Any) -> Any:
    """Mark a brick method as an application: ``@application`` or
    ``@application(inputs=[...], outputs=[...], contexts=[...])``.

    The keywords become attributes of the application (see the module doc);
    giving both a function and keywords is an error, as in Blocks.
    """
    if args and attributes or len(args) > 1:
        raise BrickError("application: give the method, or keyword attributes, not both")
    if args:
        return Application(args[0])
    return lambda function: Application(function, **attributes)
