"""Parameters on disk: ``.npz`` files keyed by hierarchical names.

A parameter's name is its brick's path and its own name, such as
``/mlp/linear_0.W``. Files are written atomically: to a temporary file in the
same folder, flushed to disk, then renamed over the target, so a failure
midway leaves the previous file intact. A temporary is named
``.<name>.brickwork-tmp-<pid>-<random>``; one left behind by a killed
process (its pid no longer runs) is removed by the next write in that folder.
A written file gets the permissions ``open(path, 'w')`` would give it: those
of the file it replaces, else ``0o666`` less the user's umask.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import BrickError


def parameter_name(param: Any) -> str:
    """``/brick/path.name`` for a brick's parameter, else the variable's name."""
    brick = getattr(param.tag, "brick", None)
    return f"{brick.get_hierarchical_name()}.{param.name}" if brick is not None else str(param.name)


def brick_parameters(bricks: Any) -> list:
    """Every parameter of ``bricks`` (a brick or a list) and of their descendants.

    Depth first, each brick's own parameters before its children's, each
    parameter once; a brick not yet allocated is allocated first.
    """
    found, seen = [], set()
    stack = list(reversed(bricks if isinstance(bricks, (list, tuple)) else [bricks]))
    while stack:
        brick = stack.pop()
        if not brick.allocated:
            brick.allocate()
        for param in brick.parameters:
            if id(param) not in seen:
                seen.add(id(param))
                found.append(param)
        stack.extend(reversed(brick.children))
    return found


def parameter_dict(bricks: Any) -> dict[str, Any]:
    """Every parameter of ``bricks`` (a brick or a list) and their descendants, by name."""
    found: dict[str, Any] = {}
    for param in brick_parameters(bricks):
        found.setdefault(parameter_name(param), param)
    return found


TEMPORARY_MARK = ".brickwork-tmp-"


def atomic_write(path: str, write: Callable[[Any], None]) -> None:
    """Call ``write(file)`` on a temporary file, then move it to ``path`` atomically.

    Temporaries left in the folder by killed writes are removed first.
    """
    folder, name = os.path.split(os.path.abspath(path))
    remove_stale_temporaries(folder)
    temporary = os.path.join(folder, f".{name}{TEMPORARY_MARK}{os.getpid()}-{secrets.token_hex(4)}")
    # os.open applies the umask to 0o666 exactly as open(path, 'w') would
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if os.path.exists(path):
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def remove_stale_temporaries(folder: str) -> list[str]:
    """Delete the temporaries in ``folder`` whose writing process no longer runs.

    Returns
    -------
    list of str
        The paths removed.
    """
    removed = []
    for entry in os.listdir(folder):
        if entry.startswith(".") and TEMPORARY_MARK in entry and not _writer_alive(entry):
            try:
                os.unlink(os.path.join(folder, entry))
            except FileNotFoundError:  # another writer removed it first
                continue
            removed.append(os.path.join(folder, entry))
    return removed


def _writer_alive(temporary: str) -> bool:
    pid_text = temporary.rsplit(TEMPORARY_MARK, 1)[1].split("-", 1)[0]
    if not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def save_arrays(path: str, arrays: dict[str, np.ndarray], compressed: bool = False) -> None:
    """Save named arrays to an ``.npz`` file, atomically (zip-compressed if ``compressed``)."""
    save = np.savez_compressed if compressed else np.savez
    atomic_write(path, lambda file: save(file, **arrays))


def save_parameters(path: str, bricks: Any) -> None:
    """Save the parameter values of ``bricks`` (a brick or a list of bricks)."""
    save_arrays(path, {name: p.get_value() for name, p in parameter_dict(bricks).items()})


def load_parameters(path: str) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` parameter file, by hierarchical name."""
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def set_parameter_values(parameters: dict[str, Any], values: dict[str, np.ndarray]) -> None:
    """Set each named parameter; every mismatch is reported at once, before any change."""
    problems = parameter_mismatches(parameters, values)
    if problems:
        raise BrickError("cannot load parameters: " + "; ".join(problems))
    for name, param in parameters.items():
        param.set_value(values[name])


def parameter_mismatches(parameters: dict[str, Any], values: dict[str, np.ndarray]) -> list[str]:
    """What keeps ``values`` from being loaded into ``parameters``: missing, unexpected, misshapen."""
    problems = [f"missing {name!r}" for name in parameters if name not in values]
    problems += [f"unexpected {name!r}" for name in values if name not in parameters]
    problems += [f"{name!r} has shape {np.shape(values[name])}, expected "
                 f"{parameters[name].get_value(borrow=True).shape}"
                 for name in parameters if name in values
                 and np.shape(values[name]) != parameters[name].get_value(borrow=True).shape]
    return problems


def load_parameters_into(bricks: Any, source: str | dict[str, np.ndarray]) -> None:
    """Load a file (or a dict from :func:`load_parameters`) into ``bricks``.

    The file may be a parameter file, a checkpoint or a saved model: the
    training state they also hold (``__state__/<i>``, ``__log__/...``, ``__meta__``,
    ``__model__``) is skipped.
    """
    values = load_parameters(source) if isinstance(source, (str, os.PathLike)) else source
    if "__meta__" in values or "__model__" in values:
        values = {k: v for k, v in values.items() if not k.startswith(("__", "state_"))}
    set_parameter_values(parameter_dict(bricks), values)

