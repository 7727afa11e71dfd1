"""Blocks' reverse_words model (blocks-examples), written as for Blocks with only the imports
changed, trains with ``cost_matrix``, samples with ``generate`` and decodes with ``BeamSearch``.

Blocks' ``dict_union(a, b)`` is spelled ``{**a, **b}`` here (brickwork has no ``blocks.utils``).
The sizes are small so the test is quick; what it checks is that the code runs and fits
together (shapes, names, the search's result), and that training lowers the cost.
"""

import numpy

from brickwork import tensor
from brickwork.algorithms import Adam, GradientDescent
from brickwork.bricks import Fork, Initializable, LookupTable, Tanh, application
from brickwork.bricks.attention import SequenceContentAttention
from brickwork.bricks.recurrent import Bidirectional, SimpleRecurrent
from brickwork.bricks.sequence_generators import LookupFeedback, Readout, SequenceGenerator, SoftmaxEmitter
from brickwork.graph import ComputationGraph, VariableFilter
from brickwork.initialization import IsotropicGaussian, Orthogonal
from brickwork.search import BeamSearch


class WordReverser(Initializable):
    def __init__(self, dimension, alphabet_size, **kwargs):
        super().__init__(**kwargs)
        encoder = Bidirectional(SimpleRecurrent(dim=dimension, activation=Tanh()))
        fork = Fork([name for name in encoder.prototype.apply.sequences if name != 'mask'])
        fork.input_dim = dimension
        fork.output_dims = [encoder.prototype.get_dim(name) for name in fork.input_names]
        lookup = LookupTable(alphabet_size, dimension)
        transition = SimpleRecurrent(activation=Tanh(), dim=dimension, name="transition")
        attention = SequenceContentAttention(
            state_names=transition.apply.states, attended_dim=2 * dimension, match_dim=dimension,
            name="attention")
        readout = Readout(
            readout_dim=alphabet_size,
            source_names=[transition.apply.states[0], attention.take_glimpses.outputs[0]],
            emitter=SoftmaxEmitter(name="emitter"),
            feedback_brick=LookupFeedback(alphabet_size, dimension),
            name="readout")
        generator = SequenceGenerator(readout=readout, transition=transition, attention=attention,
                                      name="generator")
        self.lookup, self.fork, self.encoder, self.generator = lookup, fork, encoder, generator
        self.children = [lookup, fork, encoder, generator]

    @application
    def cost(self, chars, chars_mask, targets, targets_mask):
        return self.generator.cost_matrix(
            targets, targets_mask,
            attended=self.encoder.apply(**{**self.fork.apply(self.lookup.apply(chars), as_dict=True),
                                           'mask': chars_mask}),
            attended_mask=chars_mask)

    @application
    def generate(self, chars):
        return self.generator.generate(
            n_steps=3 * chars.shape[0], batch_size=chars.shape[1],
            attended=self.encoder.apply(**self.fork.apply(self.lookup.apply(chars), as_dict=True)),
            attended_mask=tensor.ones(chars.shape))


def batches(rng, size):
    words = [list(rng.integers(2, 6, rng.integers(2, 5))) for _ in range(size)]
    chars = numpy.ones((5, size), dtype='int64')
    targets = numpy.ones((5, size), dtype='int64')
    chars_mask, targets_mask = numpy.zeros((5, size), 'float32'), numpy.zeros((5, size), 'float32')
    for i, w in enumerate(words):
        chars[:len(w) + 1, i], targets[:len(w) + 1, i] = w + [1], w[::-1] + [1]
        chars_mask[:len(w) + 1, i] = targets_mask[:len(w) + 1, i] = 1
    return {'chars': chars, 'chars_mask': chars_mask, 'targets': targets, 'targets_mask': targets_mask}


def test_blocks_reverse_words_code_runs_with_its_imports_changed():
    reverser = WordReverser(12, 6, name="reverser", seed=1)
    reverser.weights_init = IsotropicGaussian(0.1)
    reverser.biases_init = IsotropicGaussian(0.0)
    reverser.push_initialization_config()
    reverser.encoder.weights_init = Orthogonal()
    reverser.generator.transition.weights_init = Orthogonal()
    reverser.initialize()

    chars, chars_mask = tensor.lmatrix("chars"), tensor.matrix("chars_mask")
    targets, targets_mask = tensor.lmatrix("targets"), tensor.matrix("targets_mask")
    batch_cost = reverser.cost(chars, chars_mask, targets, targets_mask).sum()
    cost = batch_cost / tensor.cast(chars.shape[1], 'float32')
    cost.name = "sequence_log_likelihood"
    algorithm = GradientDescent(cost=cost, parameters=ComputationGraph(cost).parameters,
                                step_rule=Adam(0.02))
    rng = numpy.random.default_rng(0)
    algorithm.process_batch(batches(rng, 32))
    first = float(algorithm.last_values['cost'])
    for _ in range(40):
        algorithm.process_batch(batches(rng, 32))
    assert float(algorithm.last_values['cost']) < 0.7 * first

    generated = reverser.generate(chars)
    samples, = VariableFilter(applications=[reverser.generator.generate], name="outputs")(
        ComputationGraph(generated[1]))
    beam_search = BeamSearch(samples)
    input_ = numpy.array([[3, 4, 5, 1]]).T
    outputs, costs = beam_search.search({chars: numpy.repeat(input_, 4, 1)}, 1, 3 * input_.shape[0])
    assert len(outputs) == 4 and costs == sorted(costs)
    assert all(o[-1] == 1 or len(o) == 12 for o in outputs)
