"""Transformations with several inputs or outputs: ``Parallel``, ``Fork``, ``Distribute``, ``Merge``.

Each brick copies a prototype (a :class:`Feedforward` brick, ``Linear`` by
default) once per input or output and sets ``input_dim``/``output_dim`` on
the copies when it pushes its allocation configuration, as Blocks does.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from ..errors import BrickError
from .base import application, lazy
from .interfaces import Initializable
from .simple import Linear


class Parallel(Initializable):
    """Apply a copy of ``prototype`` to each of several inputs.

    Parameters
    ----------
    input_names : list of str
        The inputs of ``apply``, which are also its outputs' names.
    input_dims, output_dims : list of int
        One per input, in the order of ``input_names``.
    prototype : Feedforward brick
        Copied once per input; the copies are the children, named
        ``<child_prefix>_<input name>``.
    child_prefix : str, optional
        Default ``'transform'``.

    Notes
    -----
    ``apply(*args, **kwargs)`` takes the inputs by position or name and
    returns one output per input, each ``(..., output_dim)``.
    """

    @lazy(allocation=["input_names", "input_dims", "output_dims"])
    def __init__(self, input_names: Sequence[str], input_dims: Sequence[int] | None,
                 output_dims: Sequence[int] | None, prototype: Any, child_prefix: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.input_names, self.input_dims, self.output_dims = input_names, input_dims, output_dims
        self.prototype = prototype
        child_prefix = child_prefix or "transform"
        children = []
        for name in input_names:
            child = copy.deepcopy(prototype)
            child.name = f"{child_prefix}_{name}"
            children.append(child)
        self.children = children

    def _push_allocation_config(self) -> None:
        dims = (self.input_dims, self.output_dims)
        if any(d is not None and len(d) != len(self.children) for d in dims):
            raise BrickError(f"{self.get_hierarchical_name()}: {len(self.children)} inputs "
                             f"{list(self.input_names)} need as many input_dims and output_dims, "
                             f"got {self.input_dims} and {self.output_dims}")
        for i, child in enumerate(self.children):
            if self.input_dims is not None:
                child.input_dim = self.input_dims[i]
            if self.output_dims is not None:
                child.output_dim = self.output_dims[i]

    def _routed(self, args: tuple, kwargs: dict) -> list[Any]:
        """The inputs in the order of ``input_names``, from positions and names."""
        names = list(self.input_names)
        given = dict(zip(names, args))
        for name, value in kwargs.items():
            if name not in names or name in given:
                raise BrickError(f"{self.get_hierarchical_name()}.apply: unexpected or repeated "
                                 f"input {name!r}; the inputs are {names}")
            given[name] = value
        missing = [n for n in names if n not in given]
        if missing or len(args) > len(names):
            raise BrickError(f"{self.get_hierarchical_name()}.apply: inputs {names} expected, "
                             f"missing {missing}, {len(args)} given by position")
        return [given[n] for n in names]

    @application
    def apply(self, *args: Any, **kwargs: Any) -> list[Any]:
        """Each input through its own copy of the prototype."""
        return [child.apply(value) for child, value in zip(self.children, self._routed(args, kwargs))]

    @apply.property("inputs")
    def apply_inputs(self) -> list[str]:
        """The names of ``apply``'s inputs: ``input_names``."""
        return list(self.input_names)

    @apply.property("outputs")
    def apply_outputs(self) -> list[str]:
        """The names of ``apply``'s outputs: ``output_names``."""
        return list(self.input_names)

    def get_dim(self, name: str) -> int:
        names = list(self.input_names)
        if name in names and self.input_dims is not None:
            return self.input_dims[names.index(name)]
        return super().get_dim(name)


class Fork(Parallel):
    """Several outputs from one input, each through its own copy of ``prototype``.

    Parameters
    ----------
    output_names : list of str
    input_dim : int
    prototype : Feedforward brick, optional
        Default ``Linear()``; the copies are named ``fork_<output name>``.
    output_dims : list of int
        Given by keyword (as in Blocks), one per output name.

    Notes
    -----
    ``apply(input_)`` maps ``(..., input_dim)`` to one output per name,
    ``(..., output_dim)``; a single output comes back as a variable.
    """

    @lazy(allocation=["input_dim"])
    def __init__(self, output_names: Sequence[str], input_dim: int | None, prototype: Any = None,
                 **kwargs: Any):
        self.output_names = list(output_names)
        kwargs.setdefault("child_prefix", "fork")
        super().__init__(self.output_names, prototype=prototype if prototype is not None else Linear(),
                         **kwargs)
        self.input_dim = input_dim

    def _push_allocation_config(self) -> None:
        if self.input_dim is not None:
            self.input_dims = [self.input_dim] * len(self.output_names)
        super()._push_allocation_config()

    @application(inputs=["input_"])
    def apply(self, input_: Any) -> list[Any]:
        """``input_`` ``(..., input_dim)`` -> one output per name."""
        return Parallel.apply(self, **{name: input_ for name in self.input_names}, as_list=True)

    @apply.property("outputs")
    def apply_outputs(self) -> list[str]:
        """The names of ``apply``'s outputs: the ``output_names``."""
        return list(self.output_names)

    def get_dim(self, name: str) -> int:
        if name == "input_":
            return self.input_dim
        if name in self.output_names and self.output_dims is not None:
            return self.output_dims[self.output_names.index(name)]
        return super().get_dim(name)


class Distribute(Fork):
    """Transform a source and add the result to each of several targets.

    Parameters
    ----------
    target_names : list of str
    source_name : str
    target_dims : list of int
    source_dim : int
    prototype : Feedforward brick, optional
        Default ``Linear(use_bias=False)``.

    Notes
    -----
    ``apply(**inputs)`` takes the source and the targets by name and returns
    the targets, each ``target + transform(source)``, ``(..., target_dim)``.
    """

    @lazy(allocation=["source_name", "target_dims", "source_dim"])
    def __init__(self, target_names: Sequence[str], source_name: str | None,
                 target_dims: Sequence[int] | None, source_dim: int | None, prototype: Any = None,
                 **kwargs: Any):
        self.target_names, self.source_name = list(target_names), source_name
        self.target_dims, self.source_dim = target_dims, source_dim
        super().__init__(output_names=self.target_names, output_dims=target_dims, input_dim=source_dim,
                         prototype=prototype if prototype is not None else Linear(use_bias=False),
                         **kwargs)

    def _push_allocation_config(self) -> None:
        self.input_dim, self.output_dims = self.source_dim, self.target_dims
        super()._push_allocation_config()

    @application
    def apply(self, **kwargs: Any) -> list[Any]:
        """The targets, each plus the transformed source."""
        expected = [self.source_name] + self.target_names
        if sorted(kwargs) != sorted(expected):
            raise BrickError(f"{self.get_hierarchical_name()}.apply: inputs {expected} expected, "
                             f"got {sorted(kwargs)}")
        transformed = Fork.apply(self, kwargs[self.source_name], as_list=True)
        return [kwargs[name] + value for name, value in zip(self.target_names, transformed)]

    @apply.property("inputs")
    def apply_inputs(self) -> list[str]:
        """The names of ``apply``'s inputs: the targets, then the source."""
        return [self.source_name] + list(self.target_names)

    @apply.property("outputs")
    def apply_outputs(self) -> list[str]:
        """The names of ``apply``'s outputs: the targets, each with the source added."""
        return list(self.target_names)

    def get_dim(self, name: str) -> int:
        if name == self.source_name:
            return self.source_dim
        if name in self.target_names and self.target_dims is not None:
            return self.target_dims[self.target_names.index(name)]
        return super().get_dim(name)


class Merge(Parallel):
    """Transform each input (to ``output_dim``) and sum the results.

    Parameters
    ----------
    input_names : list of str
    input_dims : list of int
        One per input name.
    output_dim : int
    prototype : Feedforward brick, optional
        Default ``Linear(use_bias=False)`` (one bias would be redundant per
        input; set ``merge.children[0].use_bias = True`` for one bias).
    child_prefix : str, optional
        Default ``'transform'``.

    Notes
    -----
    ``apply(*args, **kwargs)`` returns ``output`` ``(..., output_dim)``.
    """

    @lazy(allocation=["input_dims", "output_dim"])
    def __init__(self, input_names: Sequence[str], input_dims: Sequence[int] | None,
                 output_dim: int | None, prototype: Any = None, **kwargs: Any):
        self.output_dim = output_dim
        super().__init__(input_names, input_dims, None,
                         prototype if prototype is not None else Linear(use_bias=False), **kwargs)

    def _push_allocation_config(self) -> None:
        if self.output_dim is not None:
            self.output_dims = [self.output_dim] * len(self.input_names)
        super()._push_allocation_config()

    @application(outputs=["output"])
    def apply(self, *args: Any, **kwargs: Any) -> Any:
        """The sum of the transformed inputs."""
        outputs = Parallel.apply(self, *args, **kwargs, as_list=True)
        total = outputs[0]
        for output in outputs[1:]:
            total = total + output
        return total

    @apply.property("inputs")
    def apply_inputs(self) -> list[str]:
        """The names of ``apply``'s inputs: ``input_names``."""
        return list(self.input_names)

    def get_dim(self, name: str) -> int:
        if name == "output":
            return self.output_dim
        return super().get_dim(name)
