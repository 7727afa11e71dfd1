"""The attention encoder-decoder of ``benchmarks.seq2seq`` in PyTorch, as users write it.

A fused ``nn.GRU`` encoder, and a decoder written as a Python loop over
time steps around an ``nn.GRUCell`` with additive (content) attention; the
beam search is a plain loop over the same cell. The parameters are copied
from the brickwork model: PyTorch's GRU gates are ordered (reset, update,
new) and its update gate keeps the old state, so brickwork's update-gate
weights enter negated (``sigmoid(-a) = 1 - sigmoid(a)``).
"""

from __future__ import annotations

import time

import numpy as np


def _t(array):
    import torch
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def _gru_weights(dim, x_parts, gate_parts, u, u_gates):
    """(weight_ih, weight_hh) rows (reset, update, new) from brickwork's (update, reset) gates."""
    reset = np.concatenate([w[:, dim:] for w in gate_parts]).T
    update = -np.concatenate([w[:, :dim] for w in gate_parts]).T
    new = np.concatenate(x_parts).T
    hidden = np.concatenate([u_gates[:, dim:].T, -u_gates[:, :dim].T, u.T])
    return np.concatenate([reset, update, new]), hidden


class TorchSeq2Seq:
    def __init__(self, params: dict[str, np.ndarray], sizes):
        import os

        import torch
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
        self.sizes, p = sizes, params
        enc, dec = sizes.encoder, sizes.decoder
        self.encoder = torch.nn.GRU(sizes.embedding, enc)
        self.cell = torch.nn.GRUCell(sizes.embedding + enc, dec)
        with torch.no_grad():
            w_ih, w_hh = _gru_weights(enc, [p["fork_inputs.W"]], [p["fork_gates.W"]], p["encoder.U"],
                                      p["encoder.U_gates"])
            self.encoder.weight_ih_l0.copy_(_t(w_ih))
            self.encoder.weight_hh_l0.copy_(_t(w_hh))
            b = p["fork_gates.b"]
            self.encoder.bias_ih_l0.copy_(_t(np.concatenate([b[enc:], -b[:enc], p["fork_inputs.b"]])))
            self.encoder.bias_hh_l0.zero_()
            w_ih, w_hh = _gru_weights(dec, [p["dec_fork_inputs.W"], p["dist_inputs.W"]],
                                      [p["dec_fork_gates.W"], p["dist_gates.W"]], p["decoder.U"],
                                      p["decoder.U_gates"])
            self.cell.weight_ih.copy_(_t(w_ih))
            self.cell.weight_hh.copy_(_t(w_hh))
            b = p["dec_fork_gates.b"]
            self.cell.bias_ih.copy_(_t(np.concatenate([b[dec:], -b[:dec], p["dec_fork_inputs.b"]])))
            self.cell.bias_hh.zero_()
        names = ["source_embedding", "target_embedding", "att_state.W", "att_pre.W", "att_pre.b",
                 "att_energy.W", "read_states.W", "read_glimpse.W", "read.b"]
        self.w = {n: _t(p[n]).requires_grad_() for n in names}

    def encode(self, x):
        embedded = self.w["source_embedding"][x]
        return self.encoder(embedded)[0]

    def attend(self, attended, preprocessed, mask, state):
        energies = (self.w["att_pre.b"] + preprocessed + state @ self.w["att_state.W"]).tanh()
        energies = (energies @ self.w["att_energy.W"])[..., 0]
        weights = energies.masked_fill(mask == 0, float("-inf")).softmax(dim=0)
        return (weights[..., None] * attended).sum(0)

    def logits(self, state, context):
        return state @ self.w["read_states.W"] + context @ self.w["read_glimpse.W"] + self.w["read.b"]

    def cost(self, x, x_mask, y, y_mask):
        """Sum over time of the masked cross-entropy, averaged over the batch (teacher forcing)."""
        import torch
        attended = self.encode(x)
        preprocessed = attended @ self.w["att_pre.W"]
        state = torch.zeros(x.shape[1], self.sizes.decoder)
        total = 0.0
        for t in range(y.shape[0]):
            context = self.attend(attended, preprocessed, x_mask, state)
            nll = torch.nn.functional.cross_entropy(self.logits(state, context), y[t], reduction="none")
            total = total + (nll * y_mask[t]).sum()
            embedded = self.w["target_embedding"][y[t]]
            state = self.cell(torch.cat([embedded, context], dim=1), state)
        return total / x.shape[1]


def training_step(params: dict[str, np.ndarray], sizes):
    """A function of (x, x_mask, y, y_mask) -> (cost, gradients of the copied parameters)."""
    import torch
    started = time.perf_counter()
    model = TorchSeq2Seq(params, sizes)
    leaves = list(model.w.values()) + [model.cell.weight_hh, model.encoder.weight_hh_l0] + \
        [model.cell.weight_ih, model.cell.bias_ih, model.encoder.weight_ih_l0, model.encoder.bias_ih_l0,
         model.encoder.bias_hh_l0, model.cell.bias_hh]
    build = time.perf_counter() - started

    def step(xv, xm, yv, ym):
        for leaf in leaves:
            leaf.grad = None
        cost = model.cost(torch.from_numpy(xv), torch.from_numpy(xm), torch.from_numpy(yv),
                          torch.from_numpy(ym))
        cost.backward()
        grads = {n: w.grad.numpy() for n, w in model.w.items()}
        grads["decoder.U"] = model.cell.weight_hh.grad[2 * sizes.decoder:].numpy().T
        return float(cost.detach()), grads
    return step, build


def beam_search(params: dict[str, np.ndarray], sizes, beam: int, eol: int, max_length: int):
    """A function of one source sequence ``(time,)`` -> the best output sequence (plain loop)."""
    import torch
    model = TorchSeq2Seq(params, sizes)
    vocabulary = sizes.vocabulary
    assert beam <= vocabulary, "the first step fills the beam from one hypothesis"

    @torch.no_grad()
    def run(source: np.ndarray) -> list[int]:
        x = torch.from_numpy(source[:, None]).expand(-1, beam)
        attended = model.encode(x)
        preprocessed = attended @ model.w["att_pre.W"]
        mask = torch.ones(x.shape)
        state = torch.zeros(beam, sizes.decoder)
        previous = torch.zeros(beam, dtype=torch.long)
        costs, alive = torch.zeros(beam), torch.ones(beam, dtype=torch.bool)
        history = torch.zeros(0, beam, dtype=torch.long)
        for step in range(max_length):
            if not alive.any():
                break
            context = model.attend(attended, preprocessed, mask, state)
            log_probs = torch.log_softmax(model.logits(state, context), dim=1)
            candidates = costs[:, None] - log_probs * alive[:, None]
            candidates[~alive] = float("inf")
            candidates[~alive, eol] = costs[~alive]
            flat = candidates[:1].reshape(-1) if step == 0 else candidates.reshape(-1)
            chosen_costs, chosen = torch.topk(flat, min(beam, flat.numel()), largest=False)
            rows, previous = chosen // vocabulary, chosen % vocabulary
            history = torch.cat([history[:, rows], previous[None]])
            costs, state, context = chosen_costs, state[rows], context[rows]
            alive = alive[rows] & (previous != eol)
            embedded = model.w["target_embedding"][previous]
            state = model.cell(torch.cat([embedded, context], dim=1), state)
        best = history[:, 0].tolist()
        return best[:best.index(eol) + 1] if eol in best else best
    return run
