"""brickwork: the workload built from its bricks (Linear, LSTM / GatedRecurrent / SimpleRecurrent)."""

from __future__ import annotations

import contextlib
import time

import numpy as np

from brickwork import config, function, grad, tensor
from brickwork.bricks import Linear, Tanh
from brickwork.bricks.recurrent import LSTM, GatedRecurrent, SimpleRecurrent

from .workloads import Workload


def build(w: Workload, params: dict[str, np.ndarray], dtype: str = "float32", fusion: str | None = None):
    """Compile the training step; returns ``(step, compile_seconds)``.

    ``fusion`` is the ``brickwork.config.fusion`` the step is built and always
    run under ('off': the NumPy tier, 'sync': the fused tier); a scan reads it
    when it first runs at given shapes, so each call sets it, and two steps
    built with different settings can be timed in turns. None: the setting as
    it is.
    """
    tier = {} if fusion is None else {"fusion": fusion}
    with _config(floatX=dtype, **tier):
        started = time.perf_counter()
        train = _compile(w, params)
        seconds = time.perf_counter() - started

    def step(xv, yv):
        with _config(**tier):
            return train(xv, yv)
    return step, seconds


@contextlib.contextmanager
def _config(**settings):
    """``brickwork.config`` with ``settings`` inside the block, as it was after."""
    old = {name: getattr(config, name) for name in settings}
    for name, value in settings.items():
        setattr(config, name, value)
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(config, name, value)


def _compile(w: Workload, params: dict[str, np.ndarray]):
    H, x, y = w.hidden, tensor.tensor3("x"), tensor.tensor3("y")
    if w.cell == "gru":
        states, weights = _gru(w, params, x)
    else:
        projection = _linear("projection", params["W_x"], params["b"])
        pre = projection.apply(x)
        if w.cell == "lstm":
            cell = LSTM(H, peepholes=False)
            cell.allocate()
            cell.W_state.set_value(params["W_h"])
            states = cell.apply(pre)[0]
            weights = {"W_x": projection.W, "b": projection.b, "W_h": cell.W_state}
        else:
            cell = SimpleRecurrent(H, Tanh())
            cell.allocate()
            cell.W.set_value(params["W_h"])
            states = cell.apply(pre)
            weights = {"W_x": projection.W, "b": projection.b, "W_h": cell.W}
    output = states
    if w.readout:
        readout = _linear("readout", params["W_o"], params["b_o"])
        output = readout.apply(states)
        weights.update(W_o=readout.W, b_o=readout.b)
    loss = ((output - y) ** 2).mean()
    names = list(weights)
    train = function([x, y], [loss] + grad(loss, [weights[n] for n in names]))

    def train_step(xv, yv):
        loss_value, *grads = train(xv, yv)
        return float(loss_value), _canonical(w, dict(zip(names, grads)))
    return train_step


def _linear(name: str, W: np.ndarray, b: np.ndarray) -> Linear:
    linear = Linear(*W.shape, name=name)
    linear.allocate()
    linear.W.set_value(W)
    linear.b.set_value(b)
    return linear


def _gru(w: Workload, params, x):
    """PyTorch's GRU on GatedRecurrent(reset_after=True), whose update gate is PyTorch's 1 - z:
    the update gate's weights are negated (sigmoid(-a) = 1 - sigmoid(a)), gates reordered."""
    H, W_x, b, W_h = w.hidden, params["W_x"], params["b"], params["W_h"]
    to_gates = _linear("to_gates", np.concatenate([-W_x[:, H:2 * H], W_x[:, :H]], axis=1),
                       np.concatenate([-b[H:2 * H], b[:H]]))
    to_candidate = _linear("to_candidate", W_x[:, 2 * H:], b[2 * H:])
    cell = GatedRecurrent(H, activation=Tanh(), reset_after=True)
    cell.allocate()
    cell.state_to_gates.set_value(np.concatenate([-W_h[:, H:2 * H], W_h[:, :H]], axis=1))
    cell.state_to_state.set_value(W_h[:, 2 * H:])
    states = cell.apply(inputs=to_candidate.apply(x), gate_inputs=to_gates.apply(x))
    return states, {"gates_W": to_gates.W, "gates_b": to_gates.b, "candidate_W": to_candidate.W,
                    "candidate_b": to_candidate.b, "state_to_gates": cell.state_to_gates,
                    "state_to_state": cell.state_to_state}


def _canonical(w: Workload, grads: dict) -> dict:
    """Gradients by the canonical names of ``workloads.py`` (undoing the GRU's reordering)."""
    if w.cell != "gru":
        return grads
    H = w.hidden

    def canonical(gates, candidate):
        return np.concatenate([gates[..., H:], -gates[..., :H], candidate], axis=-1)
    return {"W_x": canonical(grads["gates_W"], grads["candidate_W"]),
            "b": canonical(grads["gates_b"], grads["candidate_b"]),
            "W_h": canonical(grads["state_to_gates"], grads["state_to_state"])}
