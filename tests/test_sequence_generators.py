"""SequenceGenerator: cost against step-by-step evaluation, generate against cost, gradients.

Float64 throughout (fixture ``float64``). Costs computed two ways (one scan
over the given outputs; the step functions one step at a time) agree to
rtol=1e-9: the same arithmetic in a different grouping. Gradient checks use
check_grads' defaults (central differences accurate to ~1e-9 here).
"""

import numpy as np
import pytest

from brickwork import function, grad, initialization, tensor
from brickwork.bricks import Tanh
from brickwork.bricks.attention import SequenceContentAttention
from brickwork.bricks.recurrent import GatedRecurrent, SimpleRecurrent
from brickwork.bricks.sequence_generators import (
    LookupFeedback,
    Readout,
    SequenceGenerator,
    SoftmaxEmitter,
    TrivialEmitter,
    TrivialFeedback,
)
from brickwork.errors import BrickError
from brickwork.graph import evaluate
from brickwork.graph.unroll import unroll
from brickwork.tensor.walk import clone_replace
from brickwork.testing import check_grads

pytestmark = pytest.mark.usefixtures("float64")
rng = np.random.default_rng(11)
VOCAB, SOURCE_DIM = 5, 4


def all_parameters(brick):
    found = list(brick.parameters)
    for child in brick.children:
        found.extend(all_parameters(child))
    return found


def make_generator(attention=True, transition=None, seed=1):
    transition = transition or GatedRecurrent(dim=6, name="transition")
    att = SequenceContentAttention(state_names=transition.apply.states, attended_dim=SOURCE_DIM,
                                   match_dim=5, name="attention") if attention else None
    sources = [transition.apply.states[0]] + (["weighted_averages"] if attention else [])
    readout = Readout(readout_dim=VOCAB, source_names=sources, emitter=SoftmaxEmitter(name="emitter"),
                      feedback_brick=LookupFeedback(VOCAB, 3, name="feedback"), name="readout")
    generator = SequenceGenerator(readout, transition, attention=att, name="generator", seed=seed,
                                  weights_init=initialization.IsotropicGaussian(0.5),
                                  biases_init=initialization.IsotropicGaussian(0.3))
    generator.initialize()
    return generator


def source(batch=3, time=4):
    mask = np.ones((time, batch))
    mask[time - 1:, 0] = 0
    mask[time - 2:, 1] = 0
    return rng.standard_normal((time, batch, SOURCE_DIM)), mask


def stepwise_costs(generator, outputs, attended, attended_mask):
    """The cost of each output, by the one-step functions fed the given outputs."""
    a, am = tensor.tensor3("a"), tensor.matrix("am")
    batch = outputs.shape[1]
    names = generator.generate.states
    initial = function([a, am], generator.initial_states(batch, attended=a, attended_mask=am))
    states = dict(zip(names, initial(attended, attended_mask)))
    holders = {n: tensor.Variable(tensor.TensorType(v.dtype, (None,) * v.ndim), name=n)
               for n, v in states.items()}
    y = tensor.lvector("y")
    glimpses, readouts = generator.step_readouts(**holders, attended=a, attended_mask=am)
    costs = generator.readout.cost(readouts, y)
    plain = {n: holders[n] for n in generator.transition.transition.apply.states}
    new = generator.step_states(y, **plain, **glimpses, attended=a, attended_mask=am)
    step = function([a, am, y] + list(holders.values()), [costs] + new + list(glimpses.values()))
    result = []
    for t in range(outputs.shape[0]):
        cost, *rest = step(attended, attended_mask, outputs[t], *states.values())
        result.append(cost)
        updated = dict(zip(list(plain) + list(glimpses), rest))
        states.update(updated, outputs=outputs[t])
    return np.stack(result)


def test_cost_matrix_equals_step_by_step_costs_and_cost_is_their_batch_mean():
    generator = make_generator()
    y, m, a, am = tensor.lmatrix("y"), tensor.matrix("m"), tensor.tensor3("a"), tensor.matrix("am")
    matrix = generator.cost_matrix(y, mask=m, attended=a, attended_mask=am)
    cost = generator.cost(y, mask=m, attended=a, attended_mask=am)
    outputs = rng.integers(0, VOCAB, (5, 3))
    mask = np.ones((5, 3))
    mask[3:, 2] = 0
    attended, attended_mask = source()
    got, total = function([y, m, a, am], [matrix, cost])(outputs, mask, attended, attended_mask)
    expected = stepwise_costs(generator, outputs, attended, attended_mask)
    np.testing.assert_allclose(got, expected * mask, rtol=1e-9)
    assert (got[3:, 2] == 0).all()
    np.testing.assert_allclose(total, got.sum() / 3, rtol=1e-12)


def test_generate_costs_are_the_cost_matrix_of_the_samples():
    generator = make_generator()
    a, am = tensor.tensor3("a"), tensor.matrix("am")
    generated = generator.generate(n_steps=6, batch_size=a.shape[1], attended=a, attended_mask=am)
    named = dict(zip(generator.generate.outputs, generated))
    assert list(named) == ["states", "outputs", "weighted_averages", "weights", "costs"]
    attended, attended_mask = source()
    samples, costs, weights = function([a, am], [named["outputs"], named["costs"], named["weights"]])(
        attended, attended_mask)
    assert samples.shape == (6, 3) and samples.dtype == np.int64 and weights.shape == (6, 3, 4)
    assert (weights[:, 0, 3] == 0).all()
    y = tensor.lmatrix("y")
    matrix = function([y, a, am], generator.cost_matrix(y, attended=a, attended_mask=am))
    np.testing.assert_allclose(matrix(samples, attended, attended_mask), costs, rtol=1e-9)


def test_sampling_follows_the_model_distribution():
    generator = make_generator(attention=False, transition=SimpleRecurrent(
        dim=4, activation=Tanh(), name="transition"))
    samples = generator.generate(n_steps=1, batch_size=4000)[1]
    first = function([], samples)()[0]
    probs = function([], tensor.softmax(generator.readout.readout(
        feedback=generator.readout.feedback(tensor.zeros((1,), dtype="int64")),
        states=generator.transition.initial_states(1))))()[0]
    # 4,000 draws: each frequency's standard error is below 0.008
    np.testing.assert_allclose(np.bincount(first, minlength=VOCAB) / 4000, probs, atol=0.03)


def test_sampling_is_reproducible_from_the_emitter_streams():
    generator = make_generator()
    a, am = tensor.tensor3("a"), tensor.matrix("am")
    samples = function([a, am], generator.generate(n_steps=5, batch_size=a.shape[1], attended=a,
                                                   attended_mask=am)[1])
    attended, attended_mask = source()
    streams = generator.readout.emitter.streams
    state = streams.get_state()
    first = samples(attended, attended_mask)
    streams.set_state(state)
    np.testing.assert_array_equal(samples(attended, attended_mask), first)


def test_cost_gradients_through_attention_and_feedback():
    generator = make_generator()
    outputs, mask = rng.integers(0, VOCAB, (3, 3)), np.array([[1, 1, 1], [1, 1, 1], [1, 0, 1]])
    _, attended_mask = source()
    params = all_parameters(generator)

    def cost(attended, *values):
        c = generator.cost(tensor.constant(outputs), mask=tensor.constant(mask.astype("float64")),
                           attended=attended, attended_mask=tensor.constant(attended_mask))
        return clone_replace([c], dict(zip(params, values)))[0]
    check_grads(cost, [source()[0]] + [p.get_value() for p in params])


def test_real_valued_generator_gradients_and_unrolled_graph():
    transition = SimpleRecurrent(dim=3, activation=Tanh(), name="transition")
    readout = Readout(readout_dim=2, source_names=["states"], emitter=TrivialEmitter(name="emitter"),
                      feedback_brick=TrivialFeedback(2, name="feedback"), name="readout")
    generator = SequenceGenerator(readout, transition, weights_init=initialization.IsotropicGaussian(0.5),
                                  biases_init=initialization.Constant(0.1))
    generator.initialize()
    check_grads(lambda y: generator.cost_matrix(y), [rng.standard_normal((4, 2, 2))], order=2)
    y = tensor.tensor3("y")
    cost = generator.cost(y)
    outputs = [cost] + grad(cost, [y] + all_parameters(generator))
    yv = rng.standard_normal((4, 2, 2))
    compiled = function([y], outputs)(yv)
    reference = evaluate(unroll(outputs, 4), {y: yv})
    for c, r in zip(compiled, reference):
        np.testing.assert_allclose(c, r, rtol=1e-9, atol=1e-12)
    generated = function([], generator.generate(n_steps=3, batch_size=2))
    states, outs, costs = generated()
    assert outs.shape == (3, 2, 2) and (costs == 0).all()


def test_unknown_context_is_an_error_naming_the_generator():
    generator = make_generator()
    with pytest.raises(BrickError, match="generator.cost_matrix: unexpected arguments"):
        generator.cost_matrix(tensor.lmatrix("y"), attnded=tensor.tensor3("a"))


def test_training_with_cost_lowers_it_and_the_generator_samples_what_it_learned():
    generator = make_generator(attention=False, transition=SimpleRecurrent(
        dim=8, activation=Tanh(), name="transition"))
    y = tensor.lmatrix("y")
    cost = generator.cost(y)
    params = all_parameters(generator)
    step = function([y], cost, updates=[(p, p - 0.5 * g) for p, g in zip(params, grad(cost, params))])
    counting = np.tile((np.arange(6) % VOCAB)[:, None], (1, 8))
    first = float(step(counting))
    for _ in range(150):
        last = float(step(counting))
    assert last < 0.2 * first
    samples = function([], generator.generate(n_steps=6, batch_size=20)[1])()
    assert (samples == counting[:, :1]).mean() > 0.9


def test_readout_defaults_are_blocks_trivial_emitter_and_feedback():
    readout = Readout(readout_dim=2, source_names=["states"])
    assert isinstance(readout.emitter, TrivialEmitter) and isinstance(readout.feedback_brick, TrivialFeedback)
    generator = SequenceGenerator(readout, SimpleRecurrent(dim=3, activation=Tanh()),
                                  weights_init=initialization.IsotropicGaussian(0.5),
                                  biases_init=initialization.Constant(0.0))
    generator.initialize()
    assert generator.get_dim("outputs") == 2 and generator.get_dim("feedback") == 2
