"""Selecting bricks and parameters by path: ``Selector`` and ``Path``, as in Blocks.

A path names bricks from the top down and may end with a parameter:
``/mlp/linear_0`` selects a brick, ``/mlp/linear_0.W`` its parameter ``W``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from .errors import BrickError


class Path:
    """A path in a hierarchy of bricks: brick names, then perhaps a parameter name.

    Parameters
    ----------
    nodes : list or tuple of :class:`Path.BrickName` and :class:`Path.ParameterName`
    """

    separator = "/"
    parameter_separator = "."
    separator_re = re.compile(r"([/.])")

    class BrickName(str):
        """A brick's name in a path."""

        def part(self) -> str:
            return Path.separator + self

    class ParameterName(str):
        """A parameter's name at the end of a path."""

        def part(self) -> str:
            return Path.parameter_separator + self

    def __init__(self, nodes: Sequence[Any]):
        if not isinstance(nodes, (list, tuple)):
            raise BrickError(f"Path: nodes must be a list or tuple, got {nodes!r}")
        self.nodes = tuple(nodes)

    def __str__(self) -> str:
        return "".join(node.part() for node in self.nodes)

    def __repr__(self) -> str:
        return f"Path({str(self)!r})"

    def __add__(self, other: Path) -> Path:
        return Path(self.nodes + other.nodes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Path) and self.nodes == other.nodes

    def __hash__(self) -> int:
        return hash(self.nodes)

    @staticmethod
    def parse(string: str) -> Path:
        """The path written as ``string``, such as ``/mlp/linear_0.W``."""
        elements = Path.separator_re.split(string)
        if elements[0] or len(elements) < 3 or any(not part for part in elements[2::2]):
            raise BrickError(f"Path.parse: {string!r} is not a path such as '/mlp/linear_0.W'")
        nodes, separators = [], elements[1::2]
        for i, (separator, part) in enumerate(zip(separators, elements[2::2])):
            if separator == Path.parameter_separator and i != len(separators) - 1:
                raise BrickError(f"Path.parse: in {string!r} a parameter name can only come last")
            kind = Path.BrickName if separator == Path.separator else Path.ParameterName
            nodes.append(kind(part))
        return Path(nodes)


class Selector:
    """A selection of bricks, from which to select further by path.

    Parameters
    ----------
    bricks : Brick or list of Brick
    """

    def __init__(self, bricks: Any):
        from .bricks.base import Brick
        self.bricks = [bricks] if isinstance(bricks, Brick) else list(bricks)

    def select(self, path: Path | str) -> Selector | list:
        """The bricks matching ``path`` (a :class:`Selector`), or a list of parameters if it ends with one."""
        if isinstance(path, str):
            path = Path.parse(path)
        current: list[Any] = [None]
        for node in path.nodes:
            if isinstance(node, Path.ParameterName):
                return list(Selector(current).get_parameters(node).values())
            found: list[Any] = []
            for brick in current:
                for child in (brick.children if brick is not None else self.bricks):
                    if child.name == node and all(child is not f for f in found):
                        found.append(child)
            current = found
        return Selector(current)

    def get_parameters(self, parameter_name: str | None = None) -> OrderedDict:
        """Each parameter of the selected bricks and their descendants by path, ``/mlp/linear_0.W``.

        Two parameters with the same path are an error naming it.
        """
        result: OrderedDict[str, Any] = OrderedDict()
        for brick in self.bricks:
            for path, parameter in _parameters_below(brick, parameter_name):
                if path in result and result[path] is not parameter:
                    raise BrickError(f"two parameters have the path {path!r}: give the bricks "
                                     f"different names")
                result[path] = parameter
        return result


def _parameters_below(brick: Any, parameter_name: str | None) -> Iterable[tuple[str, Any]]:
    """(path, parameter) for ``brick`` and its descendants, walked without recursion."""
    stack = [(brick, Path.separator + brick.name)]
    while stack:
        current, prefix = stack.pop(0)
        for parameter in current.__dict__.get("_parameters", ()):
            if not parameter_name or parameter.name == parameter_name:
                yield f"{prefix}{Path.parameter_separator}{parameter.name}", parameter
        stack[:0] = [(child, prefix + Path.separator + child.name) for child in current.children]
