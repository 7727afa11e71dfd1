"""Collection settings for the whole repository (pytest collects ``brickwork/`` too, for its doctests)."""

import importlib.util

# brickwork.scan.fastmath imports numba, an optional dependency (the 'fast' extra):
# without it the module is skipped instead of failing the collection.
collect_ignore = [] if importlib.util.find_spec("numba") else ["brickwork/scan/fastmath.py"]
