"""Global settings of brickwork.

``floatX`` is the float dtype that constructors such as ``tensor.matrix`` and
``shared`` use when none is given. It is read from the environment variable
``BRICKWORK_FLOATX`` at import time (default ``'float32'``) and may be changed
afterwards by assigning ``brickwork.config.floatX``.

``fusion`` chooses how a scan's step runs (environment variable
``BRICKWORK_FUSION``, default ``'auto'``); see :mod:`brickwork.scan.fusion`:

* ``'auto'``: the NumPy tier at once; where numba is installed
  (``pip install 'brickwork[fast]'``), the fused tier is compiled in a
  background thread and takes over when it is ready;
* ``'sync'``: the fused tier compiled before the first call (every call runs
  on it; for tests and reproducibility studies);
* ``'off'``: the NumPy tier only.
"""

import os

floatX: str = os.environ.get("BRICKWORK_FLOATX", "float32")
fusion: str = os.environ.get("BRICKWORK_FUSION", "auto")
