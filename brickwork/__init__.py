"""brickwork: recurrent networks from bricks, on a symbolic graph of its own.

The names most code needs are here: ``tensor`` (the symbolic language),
``function`` (compile), ``grad`` (differentiate), ``shared`` and ``config``.
"""

from . import config, tensor
from .graph import function, grad
from .tensor import shared

__version__ = "0.1.0"

__all__ = ["config", "function", "grad", "shared", "tensor"]
