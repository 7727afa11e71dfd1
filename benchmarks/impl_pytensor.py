"""PyTensor: ``scan`` and symbolic ``grad``, compiled with its default mode."""

from __future__ import annotations

import time

import numpy as np

from .workloads import Workload


def build(w: Workload, params: dict[str, np.ndarray]):
    import pytensor
    import pytensor.tensor as pt
    H = w.hidden
    started = time.perf_counter()
    shared = {k: pytensor.shared(v, name=k) for k, v in params.items()}
    x, y = pt.tensor3("x", dtype="float32"), pt.tensor3("y", dtype="float32")
    pre = pt.dot(x, shared["W_x"]) + shared["b"]
    h0 = pt.zeros((x.shape[1], H), dtype="float32")

    def lstm(p, h, c, W_h):
        q = p + pt.dot(h, W_h)
        c = pt.sigmoid(q[:, H:2 * H]) * c + pt.sigmoid(q[:, :H]) * pt.tanh(q[:, 2 * H:3 * H])
        return pt.sigmoid(q[:, 3 * H:]) * pt.tanh(c), c

    def gru(p, h, W_h):
        rec = pt.dot(h, W_h)
        r, z = pt.sigmoid(p[:, :H] + rec[:, :H]), pt.sigmoid(p[:, H:2 * H] + rec[:, H:2 * H])
        return (1 - z) * pt.tanh(p[:, 2 * H:] + r * rec[:, 2 * H:]) + z * h

    def rnn(p, h, W_h):
        return pt.tanh(p + pt.dot(h, W_h))

    if w.cell == "lstm":
        (hs, _), _ = pytensor.scan(lstm, sequences=[pre], outputs_info=[h0, h0], non_sequences=[shared["W_h"]])
    else:
        hs, _ = pytensor.scan(gru if w.cell == "gru" else rnn, sequences=[pre], outputs_info=[h0],
                              non_sequences=[shared["W_h"]])
    out = pt.dot(hs, shared["W_o"]) + shared["b_o"] if w.readout else hs
    loss = pt.mean((out - y) ** 2)
    names = list(params)
    train = pytensor.function([x, y], [loss] + pytensor.grad(loss, [shared[n] for n in names]))

    def step(xv, yv):
        loss_value, *grads = train(xv, yv)
        return float(loss_value), dict(zip(names, grads))
    return step, time.perf_counter() - started
