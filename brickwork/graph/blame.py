"""Run-time errors that name the brick.

A kernel that fails gives an :class:`~brickwork.errors.ExecutionError` naming
the op and the shapes of its inputs. When the failing node was built inside
an application (its ``site``, see :mod:`brickwork.tensor.sites`), the error
also names the brick's path, the application and its inputs with their
shapes, and says which input has a last axis of another size than the brick
expects (``get_dim``)::

    /regressor/linear_0.apply: input 'input_' has 4 features (an array of
    shape (7, 4)), but 3 are expected; MatMul() failed on inputs of shapes ...

Inside a scan, the site of the node that failed in the step is carried out
of the loop, and the function that can compute the application's inputs
(the one whose graph holds them) names their sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ExecutionError
from ..tensor.sites import Site


def site_of(error: ExecutionError) -> Site | None:
    """The site recorded on ``error`` (the innermost node that failed), if any."""
    return getattr(error, "site", None)


def rewrap(error: ExecutionError, message: str) -> ExecutionError:
    """A new error saying ``message`` that keeps what ``error`` knows of its site."""
    new = ExecutionError(message)
    new.site, new.explained = site_of(error), getattr(error, "explained", False)
    return new


def with_site(error: ExecutionError, site: Site | None, value_of: Callable[[Any], Any]) -> ExecutionError:
    """``error`` with its site (``site`` unless it has one) named, and the sizes of the
    site's inputs when ``value_of`` (a variable to its value, or None) knows them."""
    site = site_of(error) or site
    if site is None or getattr(error, "explained", False):
        error.site = site
        return error
    described = _describe(site, value_of)
    if not described:
        error.site = site
        return error
    new = rewrap(error, f"{site.path}: {described}; {error}")
    new.site, new.explained = site, True
    return new


def finished(error: ExecutionError) -> ExecutionError:
    """``error`` as the caller sees it: the site named even where no input size is known."""
    site = site_of(error)
    if site is None or getattr(error, "explained", False):
        return error
    new = rewrap(error, f"{site.path}: {error}")
    new.explained = True
    return new


def _describe(site: Site, value_of: Callable[[Any], Any]) -> str:
    shapes = {}
    for name, var in site.inputs.items():
        value = value_of(var)
        if value is not None:
            shapes[name] = np.shape(value)
    wrong = [f"input {name!r} has {shape[-1]} features (an array of shape {shape}), "
             f"but {expected} are expected"
             for name, shape in shapes.items()
             if shape and (expected := site.expected_features(name)) is not None and shape[-1] != expected]
    if wrong:
        return "; ".join(wrong)
    return ", ".join(f"input {name!r} of shape {shape}" for name, shape in shapes.items())
