"""Test settings: Hypothesis without deadlines and with a bounded example count; scans on
the NumPy tier unless BRICKWORK_FUSION says otherwise (``BRICKWORK_FUSION=sync pytest``
runs every test with the fused tier; tests of the fused tier choose it themselves).
"""

import os

import pytest
from hypothesis import settings

from brickwork import config

settings.register_profile("brickwork", deadline=None, max_examples=25, derandomize=True)
settings.load_profile("brickwork")
# 'auto' would compile kernels in background threads while tests run: results would
# depend on timing, and the threads on the two cores of CI; the environment variable
# carries the setting into the processes tests start (MPI ranks, Dask workers, examples)
os.environ.setdefault("BRICKWORK_FUSION", "off")
config.fusion = os.environ["BRICKWORK_FUSION"]


@pytest.fixture
def float64():
    """Build graphs in float64 (for gradient checks), restoring floatX afterwards."""
    old, config.floatX = config.floatX, "float64"
    yield
    config.floatX = old
