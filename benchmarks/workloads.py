"""The benchmark workloads and the one model definition every framework computes.

All sequences are time-major ``(T, B, features)``; parameters and data come
from one seeded NumPy generator and are copied into each framework.

* LSTM: ``pre = x @ W_x + b + h @ W_h``, gates input, forget, cell, output
  (PyTorch order), no peepholes, ``h0 = c0 = 0``.
* GRU (PyTorch's equations, with the hidden bias of the candidate at zero):
  ``r, z = sigmoid(x @ W_x[:, :2H] + b[:2H] + h @ W_h[:, :2H])`` (reset first),
  ``n = tanh(x @ W_x[:, 2H:] + b[2H:] + r * (h @ W_h[:, 2H:]))``,
  ``h' = (1 - z) * n + z * h``.
* RNN: ``h' = tanh(x @ W_x + b + h @ W_h)``.
* The loss is the mean squared error of every output against a target of
  the same shape: the hidden states, or (W1) a linear readout ``h @ W_o + b_o``
  at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    cell: str
    inputs: int
    hidden: int
    length: int
    batch: int
    readout: bool = False

    @property
    def gates(self) -> int:
        return {"lstm": 4, "gru": 3, "rnn": 1}[self.cell]

    def describe(self) -> str:
        extra = ", linear readout" if self.readout else ""
        return (f"{self.cell.upper()} in {self.inputs}, hidden {self.hidden}, T {self.length}, "
                f"batch {self.batch}{extra}")


WORKLOADS = {
    "W1": Workload("W1", "lstm", 1, 10, 20, 32, readout=True),
    "W2": Workload("W2", "rnn", 32, 64, 100, 32),
    "W3": Workload("W3", "lstm", 128, 256, 100, 64),
    "W4": Workload("W4", "lstm", 512, 1024, 50, 128),
    "W5": Workload("W5", "gru", 128, 256, 100, 64),
}


def parameters(w: Workload, seed: int = 0, dtype: str = "float32") -> dict[str, np.ndarray]:
    """Canonical parameters: ``W_x``, ``b``, ``W_h`` (and ``W_o``, ``b_o``)."""
    rng = np.random.default_rng(seed)
    scale_x, scale_h = 1 / np.sqrt(w.inputs), 1 / np.sqrt(w.hidden)
    params = {"W_x": rng.uniform(-scale_x, scale_x, (w.inputs, w.gates * w.hidden)),
              "b": rng.uniform(-0.1, 0.1, w.gates * w.hidden),
              "W_h": rng.uniform(-scale_h, scale_h, (w.hidden, w.gates * w.hidden))}
    if w.readout:
        params["W_o"] = rng.uniform(-scale_h, scale_h, (w.hidden, 1))
        params["b_o"] = np.zeros(1)
    return {k: v.astype(dtype) for k, v in params.items()}


def data(w: Workload, seed: int = 1, dtype: str = "float32", length: int | None = None
         ) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(T, B, inputs)`` and targets ``(T, B, outputs)``."""
    rng = np.random.default_rng(seed)
    length = length or w.length
    outputs = 1 if w.readout else w.hidden
    x = rng.standard_normal((length, w.batch, w.inputs)).astype(dtype)
    y = (0.5 * rng.standard_normal((length, w.batch, outputs))).astype(dtype)
    return x, y
