"""Blocks parity of batch normalization: the cases of Blocks' tests/bricks/test_bn.py and tests/graph/test_bn.py."""

import numpy as np
import pytest

from brickwork import function, tensor
from brickwork.bricks import Sequence, Tanh
from brickwork.bricks.bn import BatchNormalization, BatchNormalizedMLP, SpatialBatchNormalization
from brickwork.graph import (
    ComputationGraph,
    apply_batch_normalization,
    batch_normalization,
    get_batch_normalization_updates,
)
from brickwork.initialization import Constant

EPSILON = 1e-4  # Blocks' default, added to the minibatch variance
ATOL = 1e-7  # float64 throughout (the fixture)


def make(input_dim, broadcastable=None, **options):
    bn = BatchNormalization(input_dim, broadcastable, **options)
    bn.initialize()
    dims = input_dim if isinstance(input_dim, tuple) else (input_dim,)
    x = [tensor.matrix, tensor.tensor3, tensor.tensor4][len(dims) - 1]("x", dtype="float64")
    return bn, x, dims


def normalize(x, axes, mean_only):
    centred = x - x.mean(axis=axes, keepdims=True)
    return centred if mean_only else centred / np.sqrt(x.var(axis=axes, keepdims=True) + EPSILON)


@pytest.mark.parametrize("input_dim, broadcastable, options", [
    (9, None, {}), ((5, 4), None, {}), ((2, 9, 7), (False, True, True), {}),
    ((6, 7), None, {"mean_only": True}), ((9, 2), None, {"learn_scale": False}),
    ((3,), None, {"learn_shift": False, "mean_only": True}), ((2, 3, 4), None, {}),
])
def test_training_mode_uses_minibatch_statistics(float64, input_dim, broadcastable, options):
    bn, x, dims = make(input_dim, broadcastable, **options)
    with bn:
        y = bn.apply(x)
    rng = np.random.default_rng(2015)
    xv = rng.uniform(size=(9,) + dims)
    axes = bn.normalization_axes
    mean_only = options.get("mean_only", False)
    expected = normalize(xv, axes, mean_only)
    np.testing.assert_allclose(function([x], y)(xv), expected, atol=ATOL)
    gamma = 1.0
    if bn.scale is not None:
        gamma = rng.uniform(size=bn.scale.get_value().shape)
        bn.scale.set_value(gamma)
    beta = 0.0
    if bn.shift is not None:
        beta = rng.uniform(size=bn.shift.get_value().shape)
        bn.shift.set_value(beta)
    bn.population_mean.set_value(np.full_like(bn.population_mean.get_value(), np.nan))
    bn.population_stdev.set_value(np.full_like(bn.population_stdev.get_value(), np.nan))
    np.testing.assert_allclose(function([x], y)(xv), expected * gamma + beta, atol=ATOL)


def test_inference_mode_uses_population_statistics(float64):
    bn, x, dims = make((3, 2), scale_init=Constant(2), shift_init=Constant(0.5))
    y = bn.apply(x)
    rng = np.random.default_rng(1)
    mean, stdev = rng.uniform(size=(3, 2)), rng.uniform(1, 2, size=(3, 2))
    bn.population_mean.set_value(mean)
    bn.population_stdev.set_value(stdev)
    xv = rng.uniform(size=(4, 3, 2))
    np.testing.assert_allclose(function([x], y)(xv), (xv - mean) / stdev * 2 + 0.5, atol=ATOL)
    assert [p.name for p in bn.parameters] == ["batch_norm_shift", "batch_norm_scale"]


def test_spatial_batch_normalization_shares_statistics_over_space(float64):
    bn = SpatialBatchNormalization((2, 3, 4))
    bn.allocate()
    assert bn.population_mean.get_value().shape == (2, 1, 1)
    assert bn.normalization_axes == (0, 2, 3)
    with pytest.raises(ValueError, match="channels"):
        SpatialBatchNormalization(5).allocate()


def test_batch_normalized_mlp_construction_and_allocation():
    mlp = BatchNormalizedMLP([Tanh(), Tanh()], [5, 7, 9])
    assert all(isinstance(a, Sequence) for a in mlp.activations)
    assert all(isinstance(a.children[0], BatchNormalization) and isinstance(a.children[1], Tanh)
               for a in mlp.activations)
    mlp.allocate()
    assert [a.children[0].input_dim for a in mlp.activations] == [7, 9]
    assert not any(layer.use_bias for layer in mlp.linear_transformations)
    only = BatchNormalizedMLP([Tanh()], [3, 4], mean_only=True, learn_shift=False)
    only.allocate()
    bn = only.activations[0].children[0]
    assert bn.mean_only and not bn.learn_shift and bn.scale is None and bn.shift is None


def test_training_graph_by_context_or_transform_agree(float64):
    mlp = BatchNormalizedMLP([Tanh(), None], [4, 5, 3], weights_init=Constant(0.1))
    mlp.initialize()
    x = tensor.matrix("x", dtype="float64")
    with batch_normalization(mlp):
        trained = mlp.apply(x)
    inference = mlp.apply(x)
    transformed = apply_batch_normalization(ComputationGraph([inference])).outputs[0]
    xv = np.random.default_rng(3).uniform(size=(6, 4)) + np.arange(4)
    np.testing.assert_allclose(function([x], transformed)(xv), function([x], trained)(xv), atol=ATOL)
    assert not np.allclose(function([x], inference)(xv), function([x], trained)(xv))
    assert len(get_batch_normalization_updates(ComputationGraph([trained]))) == 4


def test_population_updates_pair_statistics_with_minibatch_estimates(float64):
    bn, x, _ = make(3)
    with bn:
        y = bn.apply(x)
    pairs = get_batch_normalization_updates(ComputationGraph([y]))
    assert [p is q for (p, _), q in zip(pairs, [bn.population_mean, bn.population_stdev])] == [True, True]
    xv = np.random.default_rng(4).uniform(size=(8, 3))
    mean, stdev = function([x], [estimate for _, estimate in pairs])(xv)
    np.testing.assert_allclose(mean, xv.mean(0), atol=ATOL)
    np.testing.assert_allclose(stdev, np.sqrt(xv.var(0) + EPSILON), atol=ATOL)
    with pytest.raises(ValueError, match="training-mode"):
        get_batch_normalization_updates(ComputationGraph([bn.apply(x)]))
    with bn:
        twice = bn.apply(x) + bn.apply(x)
    with pytest.raises(ValueError, match="more than once"):
        get_batch_normalization_updates(ComputationGraph([twice]))
    assert len(get_batch_normalization_updates(ComputationGraph([twice]), allow_duplicates=True)) == 4
    mean_only, x2, _ = make(3, mean_only=True)
    with mean_only:
        assert len(get_batch_normalization_updates(ComputationGraph([mean_only.apply(x2)]))) == 1
