"""The attention encoder-decoder of ``benchmarks.seq2seq`` in brickwork, and its parameters.

Encoder: embedding, ``Fork``, ``GatedRecurrent(reset_after=True)`` (the
PyTorch GRU's form). Decoder: a ``SequenceGenerator`` with a GRU transition,
``SequenceContentAttention``, a softmax readout of the state and the glimpse,
and embedded feedback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from brickwork import function, grad, initialization, tensor
from brickwork.bricks import Fork, Initializable, LookupTable
from brickwork.bricks.attention import SequenceContentAttention
from brickwork.bricks.recurrent import GatedRecurrent
from brickwork.bricks.sequence_generators import LookupFeedback, Readout, SequenceGenerator, SoftmaxEmitter
from brickwork.search import BeamSearch


@dataclass(frozen=True)
class Sizes:
    vocabulary: int = 100
    embedding: int = 64
    encoder: int = 128
    decoder: int = 256
    match: int = 128
    source_length: int = 30
    target_length: int = 30
    batch: int = 32


class EncoderDecoder(Initializable):
    def __init__(self, sizes: Sizes, **kwargs):
        super().__init__(**kwargs)
        self.lookup = LookupTable(sizes.vocabulary, sizes.embedding, name="lookup")
        self.encoder = GatedRecurrent(sizes.encoder, reset_after=True, name="encoder")
        self.fork = Fork(["inputs", "gate_inputs"], input_dim=sizes.embedding,
                         output_dims=[sizes.encoder, 2 * sizes.encoder], name="fork")
        transition = GatedRecurrent(sizes.decoder, reset_after=True, name="decoder")
        attention = SequenceContentAttention(["states"], attended_dim=sizes.encoder,
                                             match_dim=sizes.match, name="attention")
        readout = Readout(sizes.vocabulary, ["states", "weighted_averages"],
                          emitter=SoftmaxEmitter(name="emitter"),
                          feedback_brick=LookupFeedback(sizes.vocabulary, sizes.embedding, name="feedback"),
                          name="readout")
        self.generator = SequenceGenerator(readout, transition, attention=attention, name="generator")
        self.children = [self.lookup, self.fork, self.encoder, self.generator]

    def encode(self, x, x_mask):
        inputs, gate_inputs = self.fork.apply(self.lookup.apply(x))
        return self.encoder.apply(inputs=inputs, gate_inputs=gate_inputs, mask=x_mask)


def build_model(sizes: Sizes, seed: int = 0) -> EncoderDecoder:
    model = EncoderDecoder(sizes, name="seq2seq", seed=seed,
                           weights_init=initialization.IsotropicGaussian(0.1),
                           biases_init=initialization.IsotropicGaussian(0.1))
    model.initialize()
    return model


def parameters(model: EncoderDecoder) -> dict[str, np.ndarray]:
    """The parameter values by the names ``seq2seq_torch`` maps them from."""
    g = model.generator
    att, trans = g.transition.attention, g.transition.transition
    bricks = {
        "source_embedding": model.lookup.W, "fork_inputs.W": model.fork.children[0].W,
        "fork_inputs.b": model.fork.children[0].b, "fork_gates.W": model.fork.children[1].W,
        "fork_gates.b": model.fork.children[1].b, "encoder.U": model.encoder.state_to_state,
        "encoder.U_gates": model.encoder.state_to_gates,
        "target_embedding": g.readout.feedback_brick.lookup.W,
        "dec_fork_inputs.W": g.fork.children[0].W, "dec_fork_inputs.b": g.fork.children[0].b,
        "dec_fork_gates.W": g.fork.children[1].W, "dec_fork_gates.b": g.fork.children[1].b,
        "dist_inputs.W": g.transition.distribute.children[0].W,
        "dist_gates.W": g.transition.distribute.children[1].W,
        "decoder.U": trans.state_to_state, "decoder.U_gates": trans.state_to_gates,
        "att_state.W": att.state_transformers.children[0].W, "att_pre.W": att.attended_transformer.W,
        "att_pre.b": att.attended_transformer.b, "att_energy.W": att.energy_computer.children[1].W,
        "read_states.W": g.readout.merge.children[0].W, "read_glimpse.W": g.readout.merge.children[1].W,
        "read.b": g.readout.post_merge.b,
    }
    return {name: p.get_value() for name, p in bricks.items()}, bricks


def training_step(model: EncoderDecoder):
    """A compiled function of (x, x_mask, y, y_mask) -> [cost, gradients by parameter name]."""
    x, y = tensor.lmatrix("x"), tensor.lmatrix("y")
    x_mask, y_mask = tensor.matrix("x_mask"), tensor.matrix("y_mask")
    cost = model.generator.cost(y, mask=y_mask, attended=model.encode(x, x_mask), attended_mask=x_mask)
    _, named = parameters(model)
    started = time.perf_counter()
    compiled = function([x, x_mask, y, y_mask], [cost] + grad(cost, list(named.values())))
    build = time.perf_counter() - started

    def step(xv, xm, yv, ym):
        cost, *grads = compiled(xv, xm, yv, ym)
        return float(cost), dict(zip(named, grads))
    return step, build


def beam_search(model: EncoderDecoder, beam: int, eol: int, max_length: int):
    """A function of one source sequence ``(time,)`` -> the best output sequence."""
    x = tensor.lmatrix("x")
    ones = tensor.ones(x.shape, dtype="float32")
    generated = model.generator.generate(n_steps=max_length, batch_size=x.shape[1],
                                         attended=model.encode(x, ones), attended_mask=ones)
    search = BeamSearch(generated[1])

    def run(source: np.ndarray) -> list[int]:
        outputs, _ = search.search({x: np.repeat(source[:, None], beam, 1)}, eol, max_length)
        return outputs[0]
    return run
