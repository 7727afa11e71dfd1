"""Tiers: a scan's step runs on NumPy at once, on fused kernels once they are compiled.

numba compiles a kernel in 0.5 to 1.3 s cold, against brickwork's 0.02 s for
a whole training function. So that speed costs no latency, a scan starts on
the NumPy tier (one NumPy call per op) and, where numba is installed, builds
its fused tier (:mod:`brickwork.scan.fusion`) in a background thread after
its first time step, from that step's arguments: the kernels compile while
the NumPy tier runs, are checked against the NumPy tier's results for that
step, and take over the loop from the next call on.

Kernels are cached on disk, keyed by a hash of their generated source
(``BRICKWORK_KERNEL_CACHE``, default ``~/.cache/brickwork/kernels``), so a
second process loads them compiled. ``brickwork.config.fusion`` chooses the
tiers: ``'auto'`` (the above), ``'sync'`` (the fused tier compiled before the
first step, so that every step runs on it: for tests and reproducible
results), ``'off'`` (NumPy only).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import config
from ..errors import BrickworkError

MODES = ("auto", "sync", "off")
_loading = threading.Lock()


def mode() -> str:
    """The tiers in use: ``config.fusion``, or ``'off'`` without numba."""
    if config.fusion not in MODES:
        raise BrickworkError(f"brickwork.config.fusion (or BRICKWORK_FUSION) must be one of {MODES}, "
                             f"not {config.fusion!r}")
    return config.fusion if numba_installed() else "off"


@lru_cache(maxsize=1)
def settle(function: Any, timeout: float = 120.0) -> list[str]:
    """Wait until the tier of every scan ``function`` has run is final; their tiers.

    Parameters
    ----------
    function : Function
        A compiled function, called at least once.
    timeout : float
        Seconds to wait at most, for each scan.

    Returns
    -------
    list of str
        ``'numpy'`` or ``'fused'`` for each program of each scan in the function
        (a scan has one program per set of argument shapes it has run with).
    """
    from .op import Scan  # the scan runs programs that use this module
    found = []
    for kernel, *_ in function.lowering.schedule:
        runner = kernel.op.runner if isinstance(kernel.op, Scan) else None
        for program in runner.programs() if runner is not None else []:
            program.settled.wait(timeout)
            found.append(program.tier)
    return found


@lru_cache(maxsize=1)
def numba_installed() -> bool:
    """Whether numba can be imported (``pip install 'brickwork[fast]'``)."""
    return importlib.util.find_spec("numba") is not None


def kernel_directory() -> Path:
    """Where kernel modules (and numba's compiled code, beside them) are kept."""
    chosen = os.environ.get("BRICKWORK_KERNEL_CACHE")
    return Path(chosen) if chosen else Path.home() / ".cache" / "brickwork" / "kernels"


def load_kernel(source: str) -> Callable[..., None]:
    """The function ``kernel`` of the module ``source``, written to the kernel
    directory under a name made of its hash (numba caches its compiled code there)."""
    name = module_name(source)
    with _loading:
        if name not in sys.modules:
            path = _written(name, source)
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules[name] = module
    return sys.modules[name].kernel


def module_name(source: str) -> str:
    """The name of the module of a generated ``source``: a hash of it."""
    return "brickwork_kernel_" + hashlib.sha256(source.encode()).hexdigest()[:24]


def _written(name: str, source: str) -> Path:
    """The module file, written once (atomically: numba's cache keys on the file's time stamp)."""
    directory = kernel_directory()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        with tempfile.NamedTemporaryFile("w", dir=directory, suffix=".tmp", delete=False) as file:
            file.write(source)
        os.replace(file.name, path)
    return path
