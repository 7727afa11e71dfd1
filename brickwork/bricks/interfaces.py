"""Brick interfaces: what bricks with weights, dimensions or randomness share."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import BrickError
from .base import Brick

DEFAULT_SEED = 1


class Initializable(Brick):
    """A brick whose parameters are filled by initialization schemes.

    Parameters
    ----------
    weights_init, biases_init : NdarrayInitialization, optional
        Pushed down to children that did not get their own. A child whose
        scheme was set explicitly keeps it (Blocks silently overrode it).
    use_bias : bool
    seed : int, optional
        Seeds this brick's ``rng``; children get seeds drawn from it, so one
        seed at the top fixes every parameter of the model.
    """

    def __init__(self, weights_init: Any = None, biases_init: Any = None, use_bias: bool = True,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.weights_init, self.biases_init = weights_init, biases_init
        self.use_bias = use_bias
        self.seed = seed
        self._explicit = {k for k, v in (("weights_init", weights_init),
                                         ("biases_init", biases_init), ("seed", seed)) if v is not None}

    @property
    def rng(self) -> np.random.Generator:
        if getattr(self, "_rng", None) is None:
            self._rng = np.random.default_rng(DEFAULT_SEED if self.seed is None else self.seed)
        return self._rng

    def _push_initialization_config(self) -> None:
        for child in self.children:
            if not isinstance(child, Initializable):
                continue
            for name in ("weights_init", "biases_init"):
                if name not in child._explicit and getattr(self, name) is not None:
                    setattr(child, name, getattr(self, name))
            if "seed" not in child._explicit:
                child.seed = int(self.rng.integers(2 ** 31))
                child._rng = None

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
        from ..tensor.random import RandomStreams
        if self._streams is None:
            self._streams = RandomStreams(self.seed)
        return self._streams
