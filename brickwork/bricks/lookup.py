"""``LookupTable``: embeddings for integer inputs."""

from __future__ import annotations

from typing import Any

from .. import tensor
from ..errors import BrickError
from ..roles import WEIGHT
from ..tensor.checks import check_range
from ..tensor.variable import Variable
from .base import application, lazy
from .interfaces import Feedforward, Initializable


class LookupTable(Initializable, Feedforward):
    """Row ``i`` of ``W`` ``(length, dim)`` for each integer ``i`` of the input.

    ``apply`` maps indices of any shape ``s`` to vectors ``s + (dim,)``.
    """

    @lazy(allocation=["length", "dim"])
    def __init__(self, length: int, dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.length, self.dim = length, dim

    @property
    def W(self) -> tensor.SharedVariable:
        """The table ``(length, dim)``: row ``i`` is the vector of index ``i``."""
        return self.parameter("W")

    @property
    def input_dim(self) -> int:
        """0: the input holds integer ids, not features (setting another value is an error)."""
        return 0

    @input_dim.setter
    def input_dim(self, value: int) -> None:
        if value != 0:
            raise BrickError(f"{self.get_hierarchical_name()}: the input of a LookupTable is "
                             f"integer ids; input_dim can only be 0, got {value!r}")

    @property
    def output_dim(self) -> int:
        """The same as ``dim``, and settable as it."""
        return self.dim

    @output_dim.setter
    def output_dim(self, value: int) -> None:
        self.dim = value

    def _allocate(self) -> None:
        self.add_parameter("W", (self.length, self.dim), WEIGHT)

    def _initialize(self) -> None:
        self.init_parameter(self.W)

    @application(inputs=["indices"], outputs=["output"])
    def apply(self, indices: Any) -> Variable:
        indices = tensor.as_variable(indices)
        if indices.type.dtype.kind not in "iu":
            raise BrickError(f"{self.get_hierarchical_name()}.apply: input 'indices' must be "
                             f"integers, got dtype {indices.dtype}")
        indices = check_range(indices, self.length, f"{self.get_hierarchical_name()}.apply: input 'indices'",
                              "id", "the table's length")
        flat = self.W[indices.reshape((-1,))]
        return flat.reshape(tuple(indices.shape[i] for i in range(indices.ndim)) + (self.dim,))

    def get_dim(self, name: str) -> int:
        if name == "output":
            return self.dim
        if name == "indices":
            return 0
        return super().get_dim(name)

    def __repr__(self) -> str:
        return f"LookupTable({self.length} => {self.dim})"
