"""Test settings: Hypothesis without deadlines and with a bounded example count."""

from hypothesis import settings

settings.register_profile("brickwork", deadline=None, max_examples=25, derandomize=True)
settings.load_profile("brickwork")
