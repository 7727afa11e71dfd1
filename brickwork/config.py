"""Global settings of brickwork.

``floatX`` is the float dtype that constructors such as ``tensor.matrix`` and
``shared`` use when none is given. It is read from the environment variable
``BRICKWORK_FLOATX`` at import time (default ``'float32'``) and may be changed
afterwards by assigning ``brickwork.config.floatX``.
"""

import os

floatX: str = os.environ.get("BRICKWORK_FLOATX", "float32")
