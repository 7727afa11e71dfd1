"""HIPS autograd: a Python loop over time steps, traced and differentiated per call."""

from __future__ import annotations

import numpy as np

from .workloads import Workload


def build(w: Workload, params: dict[str, np.ndarray]):
    import autograd.numpy as anp
    from autograd import value_and_grad
    H = w.hidden

    def sigmoid(x):
        return 0.5 * (anp.tanh(0.5 * x) + 1)

    def loss_fn(p, x, y):
        pre = anp.dot(x, p["W_x"]) + p["b"]
        h = c = anp.zeros((w.batch, H), dtype=x.dtype)
        outs = []
        for t in range(x.shape[0]):
            if w.cell == "lstm":
                q = pre[t] + anp.dot(h, p["W_h"])
                c = sigmoid(q[:, H:2 * H]) * c + sigmoid(q[:, :H]) * anp.tanh(q[:, 2 * H:3 * H])
                h = sigmoid(q[:, 3 * H:]) * anp.tanh(c)
            elif w.cell == "gru":
                rec = anp.dot(h, p["W_h"])
                r, z = sigmoid(pre[t][:, :H] + rec[:, :H]), sigmoid(pre[t][:, H:2 * H] + rec[:, H:2 * H])
                n = anp.tanh(pre[t][:, 2 * H:] + r * rec[:, 2 * H:])
                h = (1 - z) * n + z * h
            else:
                h = anp.tanh(pre[t] + anp.dot(h, p["W_h"]))
            outs.append(h)
        hs = anp.stack(outs)
        out = anp.dot(hs, p["W_o"]) + p["b_o"] if w.readout else hs
        return anp.mean((out - y) ** 2)

    train = value_and_grad(loss_fn)

    def step(xv, yv):
        loss, grads = train(params, xv, yv)
        return float(loss), grads
    return step, 0.0
