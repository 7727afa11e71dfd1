"""Where a node was built: the brick and the application whose code made it.

While an application runs (:meth:`brickwork.bricks.Application.call`), it
stands on a stack as a :class:`Site`; every :class:`~brickwork.tensor.Node`
built meanwhile records the innermost one as ``node.site`` (the gradient
nodes of a node record that node's site). When a kernel fails at run time,
the executor names the site's brick, application and inputs
(:mod:`brickwork.graph.blame`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_STACK: list[Site] = []


class Site:
    """One call of an application.

    Parameters
    ----------
    brick : Brick
        The brick the application was called on.
    application : str
        The application's name, such as ``'apply'``.
    inputs : dict from str to Variable
        The application's inputs by name, as the call received them.
    """

    def __init__(self, brick: Any, application: str, inputs: dict[str, Any]):
        self.brick, self.application, self.inputs = brick, application, inputs

    @property
    def path(self) -> str:
        """The brick's path and the application, such as ``/mlp/linear_1.apply``."""
        name = getattr(self.brick, "get_hierarchical_name", None)
        return f"{name() if name else self.brick.name}.{self.application}"

    def expected_features(self, name: str) -> int | None:
        """The size of the last axis the brick expects of input ``name`` (``get_dim``),
        or None when it does not say."""
        try:
            dim = self.brick.get_dim(name)
        except Exception:  # get_dim of a user's brick may raise anything for a name it does not know
            return None
        return dim if isinstance(dim, int) and dim > 0 else None

    def __repr__(self) -> str:
        return f"<site {self.path}>"


def current() -> Site | None:
    """The innermost application running, if any."""
    return _STACK[-1] if _STACK else None


@contextmanager
def building(site: Site | None) -> Iterator[None]:
    """Record ``site`` on the nodes built inside the ``with`` block (None: no change)."""
    if site is None:
        yield
        return
    _STACK.append(site)
    try:
        yield
    finally:
        _STACK.pop()
