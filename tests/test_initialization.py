"""The initialization schemes: the statistics and structure each one promises.

Sample statistics are checked on 200,000 draws: the standard error of a
sample std is about std / sqrt(2n) = 0.16 % of it, and that of a uniform's
bounds about width / n, so rtol=2e-2 leaves more than ten standard errors.
"""

import numpy as np
import pytest

from brickwork import initialization
from brickwork.errors import BrickError

SHAPE = (400, 500)  # fan_in 400, fan_out 500, 200,000 draws


def draw(scheme, shape=SHAPE, seed=0):
    return scheme.generate(np.random.default_rng(seed), shape)


def test_uniform_from_width_and_from_std():
    values = draw(initialization.Uniform(mean=1.0, width=0.5))
    assert 0.75 <= values.min() and values.max() <= 1.25
    np.testing.assert_allclose([values.min(), values.max()], [0.75, 1.25], atol=1e-3)
    values = draw(initialization.Uniform(std=0.2))
    np.testing.assert_allclose([values.mean(), values.std()], [0.0, 0.2], atol=2e-3, rtol=2e-2)
    with pytest.raises(BrickError, match="exactly one of width and std"):
        initialization.Uniform(width=1.0, std=1.0)


@pytest.mark.parametrize("shape", [(5, 5), (7, 3), (3, 7)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    values = draw(initialization.Orthogonal(scale=2.0), shape)
    gram = values.T @ values if shape[0] >= shape[1] else values @ values.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(shape)), atol=1e-12)
    with pytest.raises(BrickError, match="matrices"):
        draw(initialization.Orthogonal(), (3,))


def test_sparse_sets_num_init_entries_per_row():
    scheme = initialization.Sparse(3, initialization.Constant(5.0), sparse_init=initialization.Constant(-1.0))
    values = draw(scheme, (6, 10))
    np.testing.assert_array_equal((values == 5.0).sum(axis=1), 3)
    np.testing.assert_array_equal((values == -1.0).sum(axis=1), 7)
    fraction = draw(initialization.Sparse(0.5, initialization.Constant(1.0)), (4, 10))
    np.testing.assert_array_equal((fraction == 1.0).sum(axis=1), 5)


@pytest.mark.parametrize("scheme, std", [
    (initialization.GlorotNormal(gain=2.0), 2.0 * np.sqrt(2.0 / 900)),
    (initialization.HeNormal(), np.sqrt(2.0 / 400)),
])
def test_normal_schemes_have_the_std_of_their_fans(scheme, std):
    values = draw(scheme)
    np.testing.assert_allclose(values.std(), std, rtol=2e-2)
    assert abs(values.mean()) < 0.05 * std


def test_he_uniform_bounds_follow_fan_in():
    values = draw(initialization.HeUniform())
    limit = np.sqrt(6.0 / 400)
    assert values.min() >= -limit and values.max() <= limit
    np.testing.assert_allclose([values.min(), values.max()], [-limit, limit], rtol=2e-2)


def test_schemes_draw_only_from_the_generator_given():
    for scheme in (initialization.Uniform(width=1.0), initialization.Orthogonal(), initialization.GlorotNormal(),
                   initialization.HeUniform(), initialization.HeNormal(),
                   initialization.Sparse(2, initialization.IsotropicGaussian())):
        np.testing.assert_array_equal(draw(scheme, (6, 4), seed=3), draw(scheme, (6, 4), seed=3))
        assert not np.array_equal(draw(scheme, (6, 4), seed=3), draw(scheme, (6, 4), seed=4))
