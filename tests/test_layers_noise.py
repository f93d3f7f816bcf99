"""SpatialDropout1D/2D/3D, GaussianDropout and AlphaDropout: Keras 3's configs, identity at
inference (as Keras), and the statistics of their training-time noise."""

import numpy as np
import pytest

import ember as em
from zoo_oracle import keras

rng = np.random.default_rng(0)


@pytest.mark.parametrize("name,shape,channel", [
    ("SpatialDropout1D", (50, 6, 40), -1), ("SpatialDropout2D", (50, 3, 4, 40), -1),
    ("SpatialDropout3D", (50, 2, 3, 2, 40), -1)])
def test_spatial_dropout_drops_whole_channels(name, shape, channel):
    x = np.ones(shape, "float32")
    layer = getattr(em.layers, name)(0.3, seed=1)
    np.testing.assert_array_equal(layer(x).numpy(), x)  # inference: unchanged
    out = layer(x, training=True).numpy()
    assert np.isclose(out, 0).sum() + np.isclose(out, 1 / 0.7).sum() == out.size
    flat = np.moveaxis(out, channel, -1).reshape(shape[0], -1, shape[channel])
    assert (flat == flat[:, :1]).all()  # one draw per (sample, channel)
    assert abs((flat[:, 0] == 0).mean() - 0.3) < 0.05
    if name != "SpatialDropout1D":
        first = getattr(em.layers, name)(0.3, seed=1, data_format="channels_first")
        out = first(np.ones((50, 40) + shape[1:-1], "float32"), training=True).numpy()
        flat = out.reshape(50, 40, -1)
        assert (flat == flat[:, :, :1]).all()


def test_gaussian_and_alpha_dropout_statistics():
    x = np.ones((200, 500), "float32")
    g = em.layers.GaussianDropout(0.2, seed=0)
    np.testing.assert_array_equal(g(x).numpy(), x)
    out = g(x, training=True).numpy()
    assert out.dtype == np.float32
    assert abs(out.mean() - 1) < 0.01 and abs(out.std() - np.sqrt(0.2 / 0.8)) < 0.01
    # AlphaDropout keeps a SELU activation's zero mean and unit variance
    z = em.activations.selu(em.tensor(rng.standard_normal((400, 500)).astype("float32")))
    a = em.layers.AlphaDropout(0.2, seed=0)(z, training=True).numpy()
    zn = z.numpy()
    assert abs(a.mean() - zn.mean()) < 0.02 and abs(a.std() - zn.std()) < 0.02
    assert np.isclose(a, a.min()).mean() > 0.15  # the dropped values share one level


def test_gradient_is_the_noise():
    x = em.tensor(np.ones((4, 6, 3)), requires_grad=True)
    layer = em.layers.SpatialDropout1D(0.5, seed=2)
    out = layer(x, training=True)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.numpy())
    y = em.tensor(np.full((4, 3), 2.0), requires_grad=True)
    out = em.layers.GaussianDropout(0.3, seed=2)(y, training=True)
    out.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), out.numpy() / 2.0)


def test_config_keys_match_keras_and_saved(tmp_path):
    k = keras()
    for name in ("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                 "GaussianDropout", "AlphaDropout"):
        ours = getattr(em.layers, name)(0.25, seed=3).get_config()
        theirs = getattr(k.layers, name)(0.25, seed=3).get_config()
        assert set(ours) - {"name", "trainable", "dtype"} <= set(theirs), name
        for key in set(ours) - {"name", "trainable", "dtype"}:
            assert ours[key] == theirs[key], (name, key)
    inp = em.Input((6, 4))
    x = em.layers.SpatialDropout1D(0.2)(em.layers.Conv1D(4, 3)(inp))
    x = em.layers.AlphaDropout(0.1)(em.layers.GaussianDropout(0.1)(em.layers.Flatten()(x)))
    model = em.Model(inp, em.layers.Dense(1)(x))
    model.compile("adam", "mse")
    data = rng.standard_normal((8, 6, 4)).astype("float32")
    model.fit(data, np.zeros((8, 1), "float32"), epochs=1, verbose=0)
    path = str(tmp_path / "m.ember")
    model.save(path)
    np.testing.assert_allclose(em.models.load_model(path).predict(data, verbose=0),
                               model.predict(data, verbose=0), rtol=1e-6)


def test_bad_rates_are_named():
    with pytest.raises(ValueError, match="GaussianDropout: rate"):
        em.layers.GaussianDropout(1.0)
    with pytest.raises(ValueError, match="SpatialDropout2D: data_format"):
        em.layers.SpatialDropout2D(0.1, data_format="nhwc")
