"""brickwork: recurrent networks from bricks, on a symbolic graph of its own.

The names most code needs are here: ``tensor`` (the symbolic language),
``function`` (compile), ``grad`` (differentiate), ``shared`` and ``config``.
"""

from . import config, tensor
from . import scan as _scan_package
from .graph import function, grad
from .tensor import shared

# The symbolic language reads as one namespace (``tensor.scan``), while
# ``tensor/`` itself does not depend on the scan, which builds on the compiler.
tensor.scan, tensor.Scan = _scan_package.scan, _scan_package.Scan
tensor.__all__ += ["Scan", "scan"]

__version__ = "0.1.0"

__all__ = ["config", "function", "grad", "shared", "tensor"]
