"""Parameters on disk: ``.npz`` files keyed by hierarchical names.

A parameter's name is its brick's path and its own name, such as
``/mlp/linear_0.W``. Files are written atomically: to a temporary file in the
same folder, flushed to disk, then renamed over the target, so a failure
midway leaves the previous file intact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import BrickError


def parameter_name(param: Any) -> str:
    """``/brick/path.name`` for a brick's parameter, else the variable's name."""
    brick = getattr(param.tag, "brick", None)
    return f"{brick.get_hierarchical_name()}.{param.name}" if brick is not None else str(param.name)


def parameter_dict(bricks: Any) -> dict[str, Any]:
    """Every parameter of ``bricks`` (a brick or a list) and their descendants, by name."""
    found: dict[str, Any] = {}
    stack = list(reversed(bricks if isinstance(bricks, (list, tuple)) else [bricks]))
    while stack:
        brick = stack.pop()
        if not brick.allocated:
            brick.allocate()
        for param in brick.parameters:
            found.setdefault(parameter_name(param), param)
        stack.extend(reversed(brick.children))
    return found


def atomic_write(path: str, write: Callable[[Any], None]) -> None:
    """Call ``write(file)`` on a temporary file, then move it to ``path`` atomically."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def save_arrays(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Save named arrays to an ``.npz`` file, atomically."""
    atomic_write(path, lambda file: np.savez(file, **arrays))


def save_parameters(path: str, bricks: Any) -> None:
    """Save the parameter values of ``bricks`` (a brick or a list of bricks)."""
    save_arrays(path, {name: p.get_value() for name, p in parameter_dict(bricks).items()})


def load_parameters(path: str) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` parameter file, by hierarchical name."""
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def set_parameter_values(parameters: dict[str, Any], values: dict[str, np.ndarray]) -> None:
    """Set each named parameter; every mismatch is reported at once, before any change."""
    problems = [f"missing {name!r}" for name in parameters if name not in values]
    problems += [f"unexpected {name!r}" for name in values if name not in parameters]
    problems += [f"{name!r} has shape {np.shape(values[name])}, expected "
                 f"{parameters[name].get_value(borrow=True).shape}"
                 for name in parameters if name in values
                 and np.shape(values[name]) != parameters[name].get_value(borrow=True).shape]
    if problems:
        raise BrickError("cannot load parameters: " + "; ".join(problems))
    for name, param in parameters.items():
        param.set_value(values[name])


def load_parameters_into(bricks: Any, source: str | dict[str, np.ndarray]) -> None:
    """Load a file (or a dict from :func:`load_parameters`) into ``bricks``."""
    values = load_parameters(source) if isinstance(source, (str, os.PathLike)) else source
    set_parameter_values(parameter_dict(bricks), values)

