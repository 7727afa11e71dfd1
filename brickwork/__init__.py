"""brickwork: recurrent networks from bricks, on a symbolic graph of its own.

The names most code needs are here: ``tensor`` (the symbolic language),
``function`` (compile), ``grad`` (differentiate), ``shared`` and ``config``.
"""

from typing import Any

from . import config, tensor
from .tensor import shared

_FROM_GRAPH = ("function", "grad")
_FROM_SCAN = ("Scan", "scan")


def __getattr__(name: str) -> Any:
    # The compiler and the scan load on first use, so that ``import brickwork``
    # stays fast (a script that only builds bricks never pays for them).
    if name in _FROM_GRAPH:
        from . import graph
        return getattr(graph, name)
    raise AttributeError(f"module 'brickwork' has no attribute {name!r}")


def _tensor_getattr(name: str) -> Any:
    # The symbolic language reads as one namespace (``tensor.scan``), while
    # ``tensor/`` itself does not depend on the scan, which builds on the compiler.
    if name in _FROM_SCAN:
        from . import scan
        return getattr(scan, name)
    raise AttributeError(f"module 'brickwork.tensor' has no attribute {name!r}")


tensor.__getattr__ = _tensor_getattr
tensor.__all__ += list(_FROM_SCAN)

__version__ = "0.1.0"

__all__ = ["config", "function", "grad", "shared", "tensor"]
