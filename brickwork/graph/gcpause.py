"""Pausing Python's cyclic garbage collector while large graphs are built.

Differentiating or compiling a graph allocates hundreds of thousands of small
linked objects at once; the collector would scan them again and again and
double the time taken (measured on a 100,000-node chain). Nothing is lost by
pausing it: it runs as usual afterwards.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any


def gc_paused(function: Callable) -> Callable:
    """Decorator: run ``function`` with the cyclic collector paused."""
    @functools.wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
    return wrapped
