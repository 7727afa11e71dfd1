"""Hand-written NumPy training steps with manual backpropagation through time.

This is the limit a NumPy engine can reach: the input projection of all time
steps as one matrix product, preallocated buffers written in place, one
matrix product per step forward and backward, and the recurrent weight
gradient as one product after the backward loop.
"""

from __future__ import annotations

import numpy as np

from .workloads import Workload


def _sigmoid(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` with ``-x`` clipped so that ``exp`` cannot overflow
    (cheaper in NumPy than the ``tanh`` form)."""
    np.negative(x, out=out)
    np.minimum(out, 88.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


class NumpyRNN:
    """``step(x, y) -> (loss, grads)`` for one workload; buffers live across calls."""

    def __init__(self, w: Workload, params: dict[str, np.ndarray]):
        self.w, self.p = w, params
        self._buffers: dict[tuple, dict] = {}

    def buffers(self, length: int, dtype: np.dtype) -> dict:
        key = (length, dtype)
        if key not in self._buffers:
            w, H = self.w, self.w.hidden
            shape = (length, w.batch)
            self._buffers[key] = {
                "hs": np.zeros((length + 1, w.batch, H), dtype), "cs": np.zeros((length + 1, w.batch, H), dtype),
                "gates": np.empty(shape + (w.gates * H,), dtype), "tc": np.empty(shape + (H,), dtype),
                "dpre": np.empty(shape + (w.gates * H,), dtype), "hn": np.empty(shape + (H,), dtype)}
        return self._buffers[key]

    def step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        b = self.buffers(len(x), x.dtype)
        forward = {"lstm": self._lstm_forward, "gru": self._gru_forward, "rnn": self._rnn_forward}[self.w.cell]
        backward = {"lstm": self._lstm_backward, "gru": self._gru_backward, "rnn": self._rnn_backward}[self.w.cell]
        pre = (x.reshape(-1, self.w.inputs) @ self.p["W_x"]).reshape(len(x), self.w.batch, -1)
        pre += self.p["b"]
        forward(pre, b)
        loss, dh_out, grads = self._loss(b["hs"][1:], y)
        backward(dh_out, b)
        d = b["dpre"].reshape(-1, b["dpre"].shape[-1])
        grads["W_x"] = x.reshape(-1, self.w.inputs).T @ d
        grads["b"] = d.sum(0)
        grads["W_h"] = self._recurrent_weight_grad(b)
        return loss, grads

    def _loss(self, hs, y):
        grads = {}
        if self.w.readout:
            out = hs @ self.p["W_o"] + self.p["b_o"]
            diff = out - y
            d_out = diff * (2.0 / diff.size)
            grads["W_o"] = hs.reshape(-1, self.w.hidden).T @ d_out.reshape(-1, 1)
            grads["b_o"] = d_out.sum((0, 1))
            return float((diff * diff).mean()), d_out @ self.p["W_o"].T, grads
        diff = hs - y
        return float((diff * diff).mean()), diff * (2.0 / diff.size), grads

    def _recurrent_weight_grad(self, b):
        H = self.w.hidden
        if self.w.cell == "gru":
            hs = b["hs"][:-1].reshape(-1, H)
            d = b["dpre"].reshape(-1, 3 * H)
            rz = hs.T @ d[:, :2 * H]
            n = hs.T @ b["hn"].reshape(-1, H)
            return np.concatenate([rz, n], axis=1)
        return b["hs"][:-1].reshape(-1, H).T @ b["dpre"].reshape(-1, b["dpre"].shape[-1])

    # -- LSTM -------------------------------------------------------------------
    def _lstm_forward(self, pre, b):
        H, W_h = self.w.hidden, self.p["W_h"]
        hs, cs, gates, tc = b["hs"], b["cs"], b["gates"], b["tc"]
        for t in range(len(pre)):
            p = pre[t]
            p += hs[t] @ W_h
            g = gates[t]
            _sigmoid(p[:, :2 * H], g[:, :2 * H])
            np.tanh(p[:, 2 * H:3 * H], out=g[:, 2 * H:3 * H])
            _sigmoid(p[:, 3 * H:], g[:, 3 * H:])
            np.multiply(g[:, H:2 * H], cs[t], out=cs[t + 1])
            cs[t + 1] += g[:, :H] * g[:, 2 * H:3 * H]
            np.tanh(cs[t + 1], out=tc[t])
            np.multiply(g[:, 3 * H:], tc[t], out=hs[t + 1])

    def _lstm_backward(self, dh_out, b):
        H, W_hT = self.w.hidden, self.p["W_h"].T
        hs, cs, gates, tc, dpre = b["hs"], b["cs"], b["gates"], b["tc"], b["dpre"]
        dh = np.zeros_like(hs[0])
        dc = np.zeros_like(hs[0])
        for t in reversed(range(len(dh_out))):
            g, d = gates[t], dpre[t]
            dh += dh_out[t]
            i, f, c_hat, o = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
            np.multiply(dh, tc[t], out=d[:, 3 * H:])
            d[:, 3 * H:] *= o * (1 - o)
            dc += dh * o * (1 - tc[t] * tc[t])
            np.multiply(dc, c_hat, out=d[:, :H])
            d[:, :H] *= i * (1 - i)
            np.multiply(dc, cs[t], out=d[:, H:2 * H])
            d[:, H:2 * H] *= f * (1 - f)
            np.multiply(dc, i, out=d[:, 2 * H:3 * H])
            d[:, 2 * H:3 * H] *= 1 - c_hat * c_hat
            dc *= f
            np.matmul(d, W_hT, out=dh)

    # -- GRU ----------------------------------------------------------------------
    def _gru_forward(self, pre, b):
        H, W_h = self.w.hidden, self.p["W_h"]
        hs, gates, hn = b["hs"], b["gates"], b["hn"]
        for t in range(len(pre)):
            h, p, g = hs[t], pre[t], gates[t]
            rec = h @ W_h
            p[:, :2 * H] += rec[:, :2 * H]
            _sigmoid(p[:, :2 * H], g[:, :2 * H])
            hn[t] = rec[:, 2 * H:]
            np.tanh(p[:, 2 * H:] + g[:, :H] * hn[t], out=g[:, 2 * H:])
            z, n = g[:, H:2 * H], g[:, 2 * H:]
            np.subtract(h, n, out=hs[t + 1])
            hs[t + 1] *= z
            hs[t + 1] += n

    def _gru_backward(self, dh_out, b):
        H, W_h = self.w.hidden, self.p["W_h"]
        hs, gates, hn, dpre = b["hs"], b["gates"], b["hn"], b["dpre"]
        dh = np.zeros_like(hs[0])
        for t in reversed(range(len(dh_out))):
            g, d, h = gates[t], dpre[t], hs[t]
            dh += dh_out[t]
            r, z, n = g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
            dn = dh * (1 - z)
            dan = dn * (1 - n * n)
            d[:, 2 * H:] = dan
            d[:, :H] = dan * hn[t] * r * (1 - r)
            d[:, H:2 * H] = dh * (h - n) * z * (1 - z)
            dhn = dan * r
            b["hn"][t] = dhn  # reused: the gradient of h @ W_h[:, 2H:], for the weight gradient
            dh = dh * z + d[:, :2 * H] @ W_h[:, :2 * H].T + dhn @ W_h[:, 2 * H:].T

    # -- RNN ----------------------------------------------------------------------
    def _rnn_forward(self, pre, b):
        hs, W_h = b["hs"], self.p["W_h"]
        for t in range(len(pre)):
            p = pre[t]
            p += hs[t] @ W_h
            np.tanh(p, out=hs[t + 1])

    def _rnn_backward(self, dh_out, b):
        hs, dpre, W_hT = b["hs"], b["dpre"], self.p["W_h"].T
        dh = np.zeros_like(hs[0])
        for t in reversed(range(len(dh_out))):
            dh += dh_out[t]
            np.multiply(dh, 1 - hs[t + 1] * hs[t + 1], out=dpre[t])
            np.matmul(dpre[t], W_hT, out=dh)
