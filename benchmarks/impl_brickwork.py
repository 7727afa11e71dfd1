"""brickwork: the workload built from its bricks (Linear, LSTM / GatedRecurrent / SimpleRecurrent)."""

from __future__ import annotations

import time

import numpy as np

from brickwork import config, function, grad, tensor
from brickwork.bricks import Linear, Tanh
from brickwork.bricks.recurrent import LSTM, GatedRecurrent, SimpleRecurrent

from .workloads import Workload


def build(w: Workload, params: dict[str, np.ndarray], dtype: str = "float32"):
    """Compile the training step; returns ``(step, compile_seconds)``."""
    old, config.floatX = config.floatX, dtype
    try:
        started = time.perf_counter()
        step = _compile(w, params)
        return step, time.perf_counter() - started
    finally:
        config.floatX = old


def _compile(w: Workload, params: dict[str, np.ndarray]):
    H, x, y = w.hidden, tensor.tensor3("x"), tensor.tensor3("y")
    projection = Linear(w.inputs, w.gates * H, name="projection")
    projection.allocate()
    projection.W.set_value(params["W_x"])
    projection.b.set_value(params["b"])
    pre = projection.apply(x)
    if w.cell == "lstm":
        cell = LSTM(H, peepholes=False)
        cell.allocate()
        cell.W_state.set_value(params["W_h"])
        states = cell.apply(pre)[0]
        weights = {"W_x": projection.W, "b": projection.b, "W_h": cell.W_state}
    elif w.cell == "rnn":
        cell = SimpleRecurrent(H, Tanh())
        cell.allocate()
        cell.W.set_value(params["W_h"])
        states = cell.apply(pre)
        weights = {"W_x": projection.W, "b": projection.b, "W_h": cell.W}
    else:
        states, weights = _gru(w, params, pre)
    output = states
    if w.readout:
        readout = Linear(H, 1, name="readout")
        readout.allocate()
        readout.W.set_value(params["W_o"])
        readout.b.set_value(params["b_o"])
        output = readout.apply(states)
        weights.update(W_o=readout.W, b_o=readout.b)
    loss = ((output - y) ** 2).mean()
    names = list(weights)
    train = function([x, y], [loss] + grad(loss, [weights[n] for n in names]))

    def step(xv, yv):
        loss_value, *grads = train(xv, yv)
        return float(loss_value), _canonical(w, dict(zip(names, grads)))
    return step


def _gru(w: Workload, params, pre):
    """PyTorch's GRU on GatedRecurrent(reset_after=True): its update gate is 1 - z."""
    H = w.hidden
    cell = GatedRecurrent(H, activation=Tanh(), reset_after=True)
    cell.allocate()
    W_h = params["W_h"]
    cell.state_to_gates.set_value(np.concatenate([-W_h[:, H:2 * H], W_h[:, :H]], axis=1))
    cell.state_to_state.set_value(W_h[:, 2 * H:])
    z_r = tensor.concatenate([-pre[..., H:2 * H], pre[..., :H]], axis=-1)
    states = cell.apply(inputs=pre[..., 2 * H:], gate_inputs=z_r)
    return states, {"W_x": _param(pre, "W"), "b": _param(pre, "b"),
                    "state_to_gates": cell.state_to_gates, "state_to_state": cell.state_to_state}


def _param(variable, name):
    from brickwork.graph import ComputationGraph
    return next(p for p in ComputationGraph(variable).parameters if p.name == name)


def _canonical(w: Workload, grads: dict) -> dict:
    if w.cell != "gru":
        return grads
    H = w.hidden
    to_gates, to_state = grads.pop("state_to_gates"), grads.pop("state_to_state")
    grads["W_h"] = np.concatenate([to_gates[:, H:], -to_gates[:, :H], to_state], axis=1)
    return grads

