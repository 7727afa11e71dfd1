"""JAX: ``lax.scan`` under ``jit``, differentiated with ``value_and_grad``."""

from __future__ import annotations

import numpy as np

from .workloads import Workload


def _cell(w: Workload):
    import jax.numpy as jnp
    from jax.nn import sigmoid
    H = w.hidden

    def lstm(carry, pre, W_h):
        h, c = carry
        p = pre + h @ W_h
        i, f, g, o = sigmoid(p[:, :H]), sigmoid(p[:, H:2 * H]), jnp.tanh(p[:, 2 * H:3 * H]), sigmoid(p[:, 3 * H:])
        c = f * c + i * g
        h = o * jnp.tanh(c)
        return (h, c), h

    def gru(carry, pre, W_h):
        h, _ = carry
        rec = h @ W_h
        r, z = sigmoid(pre[:, :H] + rec[:, :H]), sigmoid(pre[:, H:2 * H] + rec[:, H:2 * H])
        n = jnp.tanh(pre[:, 2 * H:] + r * rec[:, 2 * H:])
        h = (1 - z) * n + z * h
        return (h, h), h

    def rnn(carry, pre, W_h):
        h, _ = carry
        h = jnp.tanh(pre + h @ W_h)
        return (h, h), h
    return {"lstm": lstm, "gru": gru, "rnn": rnn}[w.cell]


def build(w: Workload, params: dict[str, np.ndarray]):
    import jax
    import jax.numpy as jnp
    cell = _cell(w)

    def loss_fn(p, x, y):
        pre = x @ p["W_x"] + p["b"]
        h0 = jnp.zeros((w.batch, w.hidden), x.dtype)
        _, hs = jax.lax.scan(lambda carry, pre_t: cell(carry, pre_t, p["W_h"]), (h0, h0), pre)
        out = hs @ p["W_o"] + p["b_o"] if w.readout else hs
        return jnp.mean((out - y) ** 2)

    train = jax.jit(jax.value_and_grad(loss_fn))
    device_params = {k: jnp.asarray(v) for k, v in params.items()}

    def step(xv, yv):
        loss, grads = train(device_params, xv, yv)
        return float(loss), {k: np.asarray(v) for k, v in grads.items()}
    return step, 0.0
