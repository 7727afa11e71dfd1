"""Test settings: Hypothesis without deadlines and with a bounded example count."""

import pytest
from hypothesis import settings

from brickwork import config

settings.register_profile("brickwork", deadline=None, max_examples=25, derandomize=True)
settings.load_profile("brickwork")


@pytest.fixture
def float64():
    """Build graphs in float64 (for gradient checks), restoring floatX afterwards."""
    old, config.floatX = config.floatX, "float64"
    yield
    config.floatX = old
