"""Initializers: statistics on large shapes, fans of conv kernels, orthogonality, seeding,
dtypes, names and configs."""

import math

import numpy as np
import pytest

import ember as em
from ember import initializers as I

TRUNC = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]


@pytest.mark.parametrize("shape,fans", [((), (1, 1)), ((5,), (5, 5)), ((3, 4), (3, 4)),
                                        ((3, 3, 16, 32), (144, 288)),
                                        ((5, 8, 20), (40, 100)),
                                        ((2, 3, 3, 4, 6), (72, 108))])
def test_compute_fans_multiplies_the_receptive_field(shape, fans):
    assert I.compute_fans(shape) == fans


def _limit_uniform(scale, n):
    return math.sqrt(3 * scale / n)


# (initializer, shape, expected std, uniform limit or None, truncated normal?)
CASES = {
    "glorot_uniform": (I.GlorotUniform(), (300, 500), None, _limit_uniform(1, 400), False),
    "glorot_normal": (I.GlorotNormal(), (300, 500), math.sqrt(2 / 800), None, True),
    "he_normal_conv": (I.HeNormal(), (3, 3, 64, 128), math.sqrt(2 / 576), None, True),
    "he_uniform_conv": (I.HeUniform(), (3, 3, 64, 128), None, _limit_uniform(2, 576), False),
    "lecun_normal": (I.LecunNormal(), (400, 300), math.sqrt(1 / 400), None, True),
    "lecun_uniform": (I.LecunUniform(), (400, 300), None, _limit_uniform(1, 400), False),
    "vs_fan_out_untruncated": (I.VarianceScaling(3.0, "fan_out", "untruncated_normal"),
                               (200, 600), math.sqrt(3 / 600), None, False),
    "vs_fan_avg_conv_uniform": (I.VarianceScaling(0.5, "fan_avg", "uniform"), (5, 5, 32, 48),
                                None, _limit_uniform(0.5, 25 * 40), False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_variance_scaling_statistics(name):
    init, shape, std, limit, truncated = CASES[name]
    w = init(shape)
    assert w.shape == shape and w.dtype == np.float32
    assert abs(w.mean()) < 0.03 * (std or limit)
    if limit is not None:
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.99 * limit
        np.testing.assert_allclose(w.std(), limit / math.sqrt(3), rtol=0.02)
    else:
        np.testing.assert_allclose(w.std(), std, rtol=0.02)
        if truncated:  # std is corrected for the truncation at 2 (uncorrected) stddevs
            assert np.abs(w).max() <= 2 * std / TRUNC + 1e-7
        else:
            assert np.abs(w).max() > 3 * std


def test_random_normal_uniform_truncated_statistics():
    n = (500, 400)
    w = I.RandomNormal(mean=1.0, stddev=0.5)(n)
    np.testing.assert_allclose([w.mean(), w.std()], [1.0, 0.5], rtol=0.01)
    w = I.RandomUniform(-0.2, 0.6)(n)
    assert w.min() >= -0.2 and w.max() < 0.6
    np.testing.assert_allclose([w.mean(), w.std()], [0.2, 0.8 / math.sqrt(12)], rtol=0.01)
    w = I.TruncatedNormal(mean=0.0, stddev=0.05)(n)
    assert np.abs(w).max() <= 0.1
    np.testing.assert_allclose(w.std(), 0.05 * TRUNC, rtol=0.01)
    defaults = I.RandomUniform()((1000,))
    assert defaults.min() >= -0.05 and defaults.max() < 0.05


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5), (3, 3, 4, 8)])
def test_orthogonal(shape):
    w = I.Orthogonal(gain=2.0)(shape, dtype="float64")
    assert w.shape == shape
    m = w.reshape(-1, shape[-1]) / 2.0
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-10)
    else:
        np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-10)
    # the QR factor of a wide shape is a transpose: returned C-ordered all the same
    assert w.flags.c_contiguous


@pytest.mark.parametrize("layer", [
    lambda: em.layers.LSTM(8), lambda: em.layers.GRU(8), lambda: em.layers.SimpleRNN(8),
    lambda: em.layers.Dense(8), lambda: em.layers.Conv1D(8, 3)])
def test_layer_weights_and_optimizer_slots_are_c_ordered(layer):
    # An F-ordered weight (the orthogonal recurrent kernel once was) makes each optimizer pass
    # over it and its slots a strided loop against its C-ordered gradient: 8x slower.
    model = em.Sequential([em.layers.Input(shape=(5, 6)), layer()])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 5, 6), "float32"), np.zeros((4,) + model.output_shape[1:],
                                                      "float32"), verbose=0)
    for w in model.weights:
        assert w.data.flags.c_contiguous, w.path
    for slots in model.optimizer._slots:
        assert all(a.flags.c_contiguous for a in slots.values())


def test_global_seed_reproduces_and_calls_differ():
    em.utils.set_random_seed(42)
    a = I.GlorotUniform()((20, 10))
    a2 = I.GlorotUniform()((20, 10))
    em.utils.set_random_seed(42)
    b = I.GlorotUniform()((20, 10))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, a2)


def test_seeded_initializer_is_private_and_repeatable():
    init = I.HeNormal(seed=7)
    em.utils.set_random_seed(1)
    a = init((8, 8))
    em.utils.set_random_seed(2)
    b = init((8, 8))
    np.testing.assert_array_equal(a, b)  # same values every call, as Keras
    assert not np.array_equal(a, I.HeNormal(seed=8)((8, 8)))
    em.utils.set_random_seed(3)
    g1 = em.backend.rng().random()
    em.utils.set_random_seed(3)
    I.RandomNormal(seed=5)((100,))
    assert em.backend.rng().random() == g1  # the global stream was not consumed


def test_dtypes():
    for init in (I.GlorotNormal(), I.RandomUniform(), I.Orthogonal(), I.Zeros(), I.Ones(),
                 I.Constant(0.5), I.TruncatedNormal()):
        assert init((4, 4)).dtype == np.float32
        assert init((4, 4), dtype="float64").dtype == np.float64
        assert init((4, 4), dtype="float16").dtype == np.float16
    em.set_floatx("float64")
    assert I.HeUniform()((3, 3)).dtype == np.float64
    em.set_floatx("float32")
    assert I.Zeros()((2,), dtype="int32").dtype == np.int32
    with pytest.raises(ValueError, match="random initializers produce floats"):
        I.HeNormal()((2, 2), dtype="int32")


def test_constant_ones_zeros_identity():
    assert (I.Zeros()((2, 3)) == 0).all() and (I.Ones()(4) == 1).all()
    np.testing.assert_array_equal(I.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(I.Constant([1.0, 2.0])((3, 2)), [[1, 2]] * 3)
    np.testing.assert_array_equal(I.Identity(3.0)((2, 3)), 3 * np.eye(2, 3))
    with pytest.raises(ValueError, match="does not broadcast"):
        I.Constant([1.0, 2.0, 3.0])((2, 2))
    with pytest.raises(ValueError, match="only 2-D"):
        I.Identity()((2, 2, 2))


@pytest.mark.parametrize("name,cls", [
    ("glorot_uniform", I.GlorotUniform), ("GlorotUniform", I.GlorotUniform),
    ("glorot_normal", I.GlorotNormal), ("he_normal", I.HeNormal), ("he_uniform", I.HeUniform),
    ("lecun_normal", I.LecunNormal), ("lecun_uniform", I.LecunUniform),
    ("orthogonal", I.Orthogonal), ("zeros", I.Zeros), ("ones", I.Ones), ("zero", I.Zeros),
    ("constant", I.Constant), ("random_normal", I.RandomNormal), ("normal", I.RandomNormal),
    ("uniform", I.RandomUniform), ("truncated_normal", I.TruncatedNormal),
    ("variance_scaling", I.VarianceScaling), ("identity", I.Identity),
])
def test_get_by_name(name, cls):
    init = I.get(name)
    assert type(init) is cls
    again = I.deserialize(I.serialize(init))
    assert type(again) is cls and again.get_config() == init.get_config()


def test_get_other_identifiers():
    assert I.get(None) is None
    assert isinstance(I.get(I.HeNormal), I.HeNormal)
    init = I.RandomNormal(stddev=0.3, seed=3)
    assert I.get(init) is init

    def custom(shape, dtype=None):
        return np.full(shape, 7.0, dtype=dtype or "float32")

    assert I.get(custom) is custom
    cfg = I.serialize(I.VarianceScaling(2.0, "fan_out", "uniform", seed=4))
    assert cfg == {"class_name": "VarianceScaling", "config": {
        "scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 4}}
    np.testing.assert_array_equal(I.get(cfg)((3, 3)),
                                  I.VarianceScaling(2.0, "fan_out", "uniform", seed=4)((3, 3)))
    assert I.GlorotUniform(seed=1).get_config() == {"seed": 1}
    assert I.Orthogonal(gain=0.5).get_config() == {"gain": 0.5, "seed": None}


def test_errors_are_clear():
    with pytest.raises(ValueError, match="Did you mean 'he_normal'.*Valid names"):
        I.get("he_normall")
    with pytest.raises(TypeError, match="initializer must be"):
        I.get(1.5)
    with pytest.raises(ValueError, match="mode must be one of"):
        I.VarianceScaling(mode="fan_sideways")
    with pytest.raises(ValueError, match="scale must be a positive"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="distribution must be one of"):
        I.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="seed must be an int"):
        I.HeNormal(seed="abc")
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        I.Orthogonal()((5,))
    with pytest.raises(ValueError, match="negative"):
        I.Zeros()((2, -1))
