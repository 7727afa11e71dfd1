"""PyTorch CPU: the fused ``nn.LSTM``/``nn.GRU``/``nn.RNN``, and a Python loop over cells."""

from __future__ import annotations

import time

import numpy as np

from .workloads import Workload


def build(w: Workload, params: dict[str, np.ndarray], fused: bool = True):
    import torch
    torch.set_num_threads(2)
    started = time.perf_counter()
    kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[w.cell]
    cell_kind = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell, "rnn": torch.nn.RNNCell}[w.cell]
    module = kind(w.inputs, w.hidden) if fused else cell_kind(w.inputs, w.hidden)
    suffix = "_l0" if fused else ""
    with torch.no_grad():
        getattr(module, "weight_ih" + suffix).copy_(torch.from_numpy(params["W_x"].T.copy()))
        getattr(module, "weight_hh" + suffix).copy_(torch.from_numpy(params["W_h"].T.copy()))
        getattr(module, "bias_ih" + suffix).copy_(torch.from_numpy(params["b"]))
        getattr(module, "bias_hh" + suffix).zero_()
    readout = None
    if w.readout:
        readout = (torch.tensor(params["W_o"], requires_grad=True), torch.tensor(params["b_o"], requires_grad=True))
    weights = {"W_x": getattr(module, "weight_ih" + suffix), "W_h": getattr(module, "weight_hh" + suffix),
               "b": getattr(module, "bias_ih" + suffix)}

    def forward(x):
        if fused:
            return module(x)[0]
        h = torch.zeros(w.batch, w.hidden)
        state = (h, torch.zeros(w.batch, w.hidden)) if w.cell == "lstm" else h
        outputs = []
        for t in range(x.shape[0]):
            state = module(x[t], state)
            outputs.append(state[0] if w.cell == "lstm" else state)
        return torch.stack(outputs)

    def step(xv, yv):
        for p in list(weights.values()) + list(readout or ()):
            p.grad = None
        x, y = torch.from_numpy(xv), torch.from_numpy(yv)
        out = forward(x)
        if readout:
            out = out @ readout[0] + readout[1]
        loss = ((out - y) ** 2).mean()
        loss.backward()
        grads = {"W_x": weights["W_x"].grad.numpy().T, "W_h": weights["W_h"].grad.numpy().T,
                 "b": weights["b"].grad.numpy()}
        if readout:
            grads.update(W_o=readout[0].grad.numpy(), b_o=readout[1].grad.numpy())
        return float(loss.detach()), grads
    return step, time.perf_counter() - started
