"""Brick interfaces: what bricks with weights, dimensions or randomness share."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import BrickError
from .base import Brick, lazy

DEFAULT_SEED = 1
"""Blocks' ``config.default_seed``: where the seeds of unseeded bricks come from."""


class Initializable(Brick):
    """A brick whose parameters are filled by initialization schemes.

    Parameters
    ----------
    weights_init, biases_init : NdarrayInitialization, optional
        Pushed down to children that did not get their own. A child whose
        scheme was set explicitly keeps it (Blocks silently overrode it).
    use_bias : bool, optional
        Default True; given explicitly, a parent such as ``MLP`` pushes it
        to its layers, as in Blocks.
    seed : int, optional
        Seeds this brick's ``rng``. Without one, the seed is drawn from
        ``Initializable.seed_rng`` (seeded with :data:`DEFAULT_SEED`), so a
        script builds the same model on every run while two bricks of one
        script differ. When it pushes its initialization configuration, a
        brick hands its ``rng`` to its children (as Blocks does), so they
        draw from the parent's seed; a child given its own seed keeps it.
    """

    seed_rng = np.random.default_rng(DEFAULT_SEED)

    @lazy()
    def __init__(self, weights_init: Any = None, biases_init: Any = None, use_bias: bool | None = None,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.weights_init, self.biases_init = weights_init, biases_init
        self.use_bias = True if use_bias is None else use_bias
        self._seed = seed
        self._explicit = {k for k, v in (("weights_init", weights_init), ("use_bias", use_bias),
                                         ("biases_init", biases_init), ("seed", seed)) if v is not None}

    @property
    def seed(self) -> int:
        """The seed of this brick's random generator (a fixed default unless set)."""
        if getattr(self, "_seed", None) is None:
            self._seed = int(type(self).seed_rng.integers(np.iinfo(np.int32).max))
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        self._seed, self._rng = value, None
        self._explicit.add("seed")

    @property
    def rng(self) -> np.random.Generator:
        """The ``numpy.random.Generator`` that initialization draws from."""
        if getattr(self, "_rng", None) is None:
            self._rng = np.random.default_rng(self.seed)
        return self._rng

    @rng.setter
    def rng(self, value: np.random.Generator) -> None:
        self._rng = value

    def _push_initialization_config(self) -> None:
        for child in self.children:
            if not isinstance(child, Initializable):
                continue
            for name in ("weights_init", "biases_init"):
                if name not in child._explicit and getattr(self, name) is not None:
                    setattr(child, name, getattr(self, name))
            if "seed" not in child._explicit:
                child.rng = self.rng

    def init_parameter(self, param: Any, scheme: str = "weights_init") -> None:
        """Fill ``param`` with this brick's ``weights_init`` (or ``biases_init``)."""
        initialization = getattr(self, scheme)
        if initialization is None:
            raise BrickError(f"{self.get_hierarchical_name()}: cannot initialize "
                             f"{param.name!r}, {scheme!r} is not set")
        initialization.initialize(param, self.rng)


class Feedforward(Brick):
    """A brick with one input and one output, of sizes ``input_dim`` and ``output_dim``."""

    def get_dim(self, name: str) -> int:
        if name == "input_":
            return self.input_dim
        if name == "output":
            return self.output_dim
        return super().get_dim(name)


class Random(Brick):
    """A brick that draws random numbers, from its own seeded streams."""

    def __init__(self, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.seed = DEFAULT_SEED if seed is None else seed
        self._streams = None

    @property
    def streams(self) -> Any:
        """The brick's seeded ``RandomStreams`` (created on first use)."""
        from ..tensor.random import RandomStreams
        if self._streams is None:
            self._streams = RandomStreams(self.seed)
        return self._streams
