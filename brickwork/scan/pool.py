"""Output buffers kept from one call of a scan to the next.

Reusing a buffer spares the allocation and the page faults of fresh memory
at every call, but only a buffer nothing refers to any more may be reused:
the caller may keep a result, or a later op a view of it.

The pool keeps the memory and hands out an array over it. That array is the
one every further view refers to: NumPy records as a view's base the first
array up the chain that owns its memory, unless the owner is of another
type, and the pool's memory is (:class:`_PoolMemory`). So once the pool's
weak reference to the handed-out array is dead, nothing can see the memory,
and the pool reuses it.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable

import numpy as np


class _PoolMemory(np.ndarray):
    """Memory owned by the pool; a type of its own, so views stop at the array handed out."""


class BufferPool:
    """Buffers by key, each reused while its shape and dtype stay and nothing sees it."""

    def __init__(self) -> None:
        self._memory: dict[Hashable, _PoolMemory] = {}
        self._lent: dict[Hashable, weakref.ref] = {}

    def take(self, key: Hashable, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An uninitialized array of ``shape`` and ``dtype`` for ``key``: the pooled one
        when it fits and is free, else new memory, pooled in its place."""
        memory, lent = self._memory.get(key), self._lent.get(key)
        seen = lent is not None and lent() is not None
        if seen or memory is None or memory.shape != shape or memory.dtype != dtype:
            memory = self._memory[key] = np.ndarray.__new__(_PoolMemory, shape, dtype)
        array = memory.view(np.ndarray)
        self._lent[key] = weakref.ref(array)
        return array
