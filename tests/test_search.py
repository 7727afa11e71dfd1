"""BeamSearch against greedy decoding and exhaustive search, priced by ``cost_matrix``.

The references never use the search's step functions: each candidate
sequence is priced by the generator's ``cost_matrix`` (one scan over it).
Float64; costs agree to rtol=1e-9 (the same sums grouped differently).
"""

import itertools

import numpy as np
import pytest

from brickwork import function, tensor
from brickwork.errors import BrickworkError
from brickwork.search import BeamSearch
from tests.test_sequence_generators import SOURCE_DIM, VOCAB, make_generator

pytestmark = pytest.mark.usefixtures("float64")
EOL = 0


def setup(seed):
    generator = make_generator(seed=seed)
    chars = tensor.tensor3("chars")
    a_mask = tensor.ones((chars.shape[0], chars.shape[1]))
    generated = generator.generate(n_steps=3 * chars.shape[0], batch_size=chars.shape[1],
                                   attended=chars * 2.0, attended_mask=a_mask)
    y, m = tensor.lmatrix("y"), tensor.matrix("m")
    a = tensor.tensor3("a")
    price = function([y, m, a], generator.cost_matrix(
        y, mask=m, attended=a * 2.0, attended_mask=tensor.ones((a.shape[0], a.shape[1]))))
    source = np.random.default_rng(seed).standard_normal((3, 1, SOURCE_DIM))
    return BeamSearch(generated[1]), chars, price, source


def total_costs(price, sequences, source):
    """Each sequence's negative log-likelihood (masked after its end)."""
    length = max(len(s) for s in sequences)
    outputs = np.zeros((length, len(sequences)), dtype=np.int64)
    mask = np.zeros((length, len(sequences)))
    for i, s in enumerate(sequences):
        outputs[:len(s), i], mask[:len(s), i] = s, 1
    return price(outputs, mask, np.repeat(source, len(sequences), 1)).sum(0)


def greedy(price, source, max_length):
    prefix = []
    while len(prefix) < max_length and (not prefix or prefix[-1] != EOL):
        candidates = [prefix + [v] for v in range(VOCAB)]
        prefix = candidates[int(np.argmin(total_costs(price, candidates, source)))]
    return prefix


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_beam_of_one_is_greedy_decoding(seed):
    search, chars, price, source = setup(seed)
    outputs, costs = search.search({chars: source}, EOL, max_length=6)
    expected = greedy(price, source, 6)
    assert outputs == [expected]
    np.testing.assert_allclose(costs, total_costs(price, [expected], source), rtol=1e-9)


def all_sequences(max_length):
    for length in range(1, max_length + 1):
        for body in itertools.product(range(1, VOCAB), repeat=length - 1):
            yield list(body) + [EOL]
            if length == max_length:
                yield from (list(body) + [v] for v in range(1, VOCAB))


@pytest.mark.parametrize("seed", [1, 4])
def test_a_wide_beam_finds_the_exhaustive_best(seed):
    search, chars, price, source = setup(seed)
    candidates = [list(s) for s in all_sequences(3)]
    exhaustive = total_costs(price, candidates, source)
    order = np.argsort(exhaustive)
    beam = VOCAB ** 2
    outputs, costs = search.search({chars: np.repeat(source, beam, 1)}, EOL, max_length=3)
    assert outputs[0] == candidates[order[0]]
    np.testing.assert_allclose(costs[0], exhaustive[order[0]], rtol=1e-9)
    assert costs == sorted(costs)
    np.testing.assert_allclose(costs, total_costs(price, outputs, source), rtol=1e-9)


def test_as_arrays_and_ignore_first_eol():
    search, chars, price, source = setup(1)
    outputs, masks, costs = search.search({chars: np.repeat(source, 3, 1)}, EOL, 4, as_arrays=True)
    assert outputs.shape == masks.shape == costs.shape and outputs.shape[1] == 3
    lists, totals = BeamSearch.result_to_lists((outputs, masks, costs))
    np.testing.assert_allclose(totals, (costs * masks).sum(0), rtol=1e-12)
    never_first = search.search({chars: np.repeat(source, 3, 1)}, EOL, 4, ignore_first_eol=True)[0]
    assert all(len(s) > 1 for s in never_first)


def test_search_errors_name_what_is_missing():
    search, chars, price, source = setup(1)
    with pytest.raises(BrickworkError, match="no value for the inputs"):
        search.search({}, EOL, 3)
    with pytest.raises(BrickworkError, match="not an output of SequenceGenerator.generate"):
        BeamSearch(tensor.matrix("x"))
