"""Weight initialization schemes.

A scheme fills a shared variable with ``initialize(variable, rng)``, drawing
only from the :class:`numpy.random.Generator` it is given (a brick's seeded
``rng``), never from NumPy's global state, so one seed gives one set of
parameters on every run. Fan-in and fan-out are the first and last axes of a
matrix ``(input_dim, output_dim)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import BrickError


class NdarrayInitialization:
    """Base class: subclasses implement ``generate(rng, shape)``."""

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        """An array of ``shape`` drawn with ``rng`` (a ``numpy.random.Generator``), in ``config.floatX``."""
        raise NotImplementedError

    def initialize(self, variable: Any, rng: np.random.Generator) -> None:
        """Set ``variable`` (a SharedVariable) to a fresh draw of its shape."""
        shape = variable.get_value(borrow=True).shape
        variable.set_value(self.generate(rng, shape).astype(variable.dtype))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Constant(NdarrayInitialization):
    """Every entry equal to ``constant`` (a scalar or an array that broadcasts)."""

    def __init__(self, constant: Any):
        self.constant = constant

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.constant, dtype=float), shape).copy()


class IsotropicGaussian(NdarrayInitialization):
    """Normal entries with mean ``mean`` and standard deviation ``std``."""

    def __init__(self, std: float = 1.0, mean: float = 0.0):
        self.std, self.mean = std, mean

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.normal(self.mean, self.std, size=shape)


class Uniform(NdarrayInitialization):
    """Uniform entries around ``mean``, given the interval ``width`` or the ``std``."""

    def __init__(self, mean: float = 0.0, width: float | None = None, std: float | None = None):
        if (width is None) == (std is None):
            raise BrickError("Uniform: give exactly one of width and std")
        self.mean = mean
        self.width = width if width is not None else std * np.sqrt(12)

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(self.mean - self.width / 2, self.mean + self.width / 2, size=shape)


class Identity(NdarrayInitialization):
    """``mult`` times the identity matrix (ones on the diagonal of a non-square one)."""

    def __init__(self, mult: float = 1.0):
        self.mult = mult

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        if len(shape) != 2:
            raise BrickError(f"Identity initializes matrices, not shape {shape}")
        return self.mult * np.eye(*shape)


class Orthogonal(NdarrayInitialization):
    """A (semi-)orthogonal matrix times ``scale``: orthonormal rows or columns.

    Square matrices are orthogonal; for others the shorter side is orthonormal.
    """

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        if len(shape) != 2:
            raise BrickError(f"Orthogonal initializes matrices, not shape {shape}")
        rows, cols = shape
        q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
        q = q * np.sign(np.diag(r))  # a uniform draw over orthogonal matrices
        return self.scale * (q if rows >= cols else q.T)


class Sparse(NdarrayInitialization):
    """Each row gets ``num_init`` non-zero entries drawn from ``weights_init``."""

    def __init__(self, num_init: int | float, weights_init: NdarrayInitialization,
                 sparse_init: NdarrayInitialization | None = None):
        self.num_init, self.weights_init = num_init, weights_init
        self.sparse_init = sparse_init or Constant(0.0)

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        if len(shape) != 2:
            raise BrickError(f"Sparse initializes matrices, not shape {shape}")
        out = self.sparse_init.generate(rng, shape)
        rows, cols = shape
        count = int(self.num_init * cols) if self.num_init < 1 else int(self.num_init)
        for row in range(rows):
            where = rng.choice(cols, size=min(count, cols), replace=False)
            out[row, where] = self.weights_init.generate(rng, (len(where),))
        return out


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) < 2:
        return shape[0] if shape else 1, shape[0] if shape else 1
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[0] * receptive, shape[1] * receptive


class GlorotUniform(NdarrayInitialization):
    """Uniform in ``±gain * sqrt(6 / (fan_in + fan_out))`` (Glorot and Bengio)."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        limit = self.gain * np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape)


class GlorotNormal(NdarrayInitialization):
    """Normal with std ``gain * sqrt(2 / (fan_in + fan_out))``."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        return rng.normal(0.0, self.gain * np.sqrt(2.0 / (fan_in + fan_out)), size=shape)


class HeUniform(NdarrayInitialization):
    """Uniform in ``±sqrt(6 / fan_in)`` (He et al., for rectifiers)."""

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        limit = np.sqrt(6.0 / _fans(shape)[0])
        return rng.uniform(-limit, limit, size=shape)


class HeNormal(NdarrayInitialization):
    """Normal with std ``sqrt(2 / fan_in)``."""

    def generate(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.normal(0.0, np.sqrt(2.0 / _fans(shape)[0]), size=shape)
