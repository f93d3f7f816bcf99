"""Resizing, CenterCrop, RandomCrop, Cropping1D/2D/3D and ZeroPadding3D against Keras 3."""

import numpy as np
import pytest

import ember as em
from zoo_oracle import check_gradients, float64, keras, same_as_keras

rng = np.random.default_rng(0)
IMG = rng.standard_normal((2, 7, 10, 3)).astype("float32")
VOL = rng.standard_normal((2, 4, 5, 6, 2)).astype("float32")
SEQ = rng.standard_normal((2, 6, 3)).astype("float32")


@pytest.mark.parametrize("make,x", [
    (lambda L: L.Resizing(5, 4), IMG),
    (lambda L: L.Resizing(14, 13), IMG),
    (lambda L: L.Resizing(4, 9, interpolation="nearest"), IMG),
    (lambda L: L.Resizing(12, 5, interpolation="nearest"), IMG),
    (lambda L: L.Resizing(4, 4, crop_to_aspect_ratio=True), IMG),
    (lambda L: L.Resizing(6, 3, crop_to_aspect_ratio=True), IMG),
    (lambda L: L.Resizing(5, 5, pad_to_aspect_ratio=True, fill_value=0.5), IMG),
    (lambda L: L.Resizing(4, 8, data_format="channels_first"), IMG.transpose(0, 3, 1, 2)),
    (lambda L: L.Resizing(3, 5), IMG[0]),
    (lambda L: L.CenterCrop(4, 6), IMG),
    (lambda L: L.CenterCrop(9, 6), IMG),
    (lambda L: L.Cropping1D((1, 2)), SEQ),
    (lambda L: L.Cropping1D(1), SEQ),
    (lambda L: L.Cropping2D(((1, 2), (0, 3))), IMG),
    (lambda L: L.Cropping2D(2, data_format="channels_first"), IMG.transpose(0, 3, 1, 2)),
    (lambda L: L.Cropping3D(((1, 0), (1, 2), (2, 1))), VOL),
    (lambda L: L.ZeroPadding3D(((1, 0), (0, 2), (1, 1))), VOL),
    (lambda L: L.ZeroPadding3D(2), VOL),
])
def test_same_as_keras(make, x):
    k = keras()
    ours = make(em.layers)
    # training=False: Keras' image layers default to training=True when called directly;
    # ember's (as its other augmentation layers) to inference
    got, _ = same_as_keras(ours, make(k.layers), x, atol=1e-5, training=False)
    if x.ndim >= 3 and x is not IMG[0]:
        assert ours.compute_output_shape(x.shape)[1:] == got.shape[1:]


def test_integer_images_as_keras():
    k = keras()
    x = rng.integers(0, 255, (1, 6, 6, 3)).astype("uint8")
    for ours, theirs in ((em.layers.Resizing(3, 4), k.layers.Resizing(3, 4)),
                         (em.layers.CenterCrop(3, 4), k.layers.CenterCrop(3, 4))):
        got, want = ours(x).numpy(), np.asarray(theirs(x))
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_random_crop_at_inference_is_keras_documented_center_crop():
    # Keras 3.15's RandomCrop returns the uncropped image at inference (so a model using it
    # fails in predict); its docstring, and ember, center-crop to the aspect ratio and resize
    k = keras()
    for size in ((4, 6), (5, 3), (7, 10)):
        got = em.layers.RandomCrop(*size)(em.tensor(IMG), training=False).numpy()
        want = np.asarray(k.layers.Resizing(*size, crop_to_aspect_ratio=True)(IMG))
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_random_crop_crops_while_training():
    layer = em.layers.RandomCrop(4, 5, seed=3)
    outs = [layer(em.tensor(IMG), training=True).numpy() for _ in range(6)]
    assert all(o.shape == (2, 4, 5, 3) for o in outs)
    # each is a window of the input, not all the same window
    windows = set()
    for o in outs:
        found = [(t, left) for t in range(4) for left in range(6)
                 if np.array_equal(IMG[:, t:t + 4, left:left + 5], o)]
        assert found
        windows.add(found[0])
    assert len(windows) > 1


def test_gradients_by_finite_differences():
    with float64():
        for layer in (em.layers.Resizing(5, 3, crop_to_aspect_ratio=True),
                      em.layers.CenterCrop(2, 3), em.layers.Cropping2D(((1, 0), (1, 1))),
                      em.layers.ZeroPadding3D(1)):
            x = (VOL[:1, :3, :3, :3] if isinstance(layer, em.layers.ZeroPadding3D)
                 else IMG[:1, :4, :5, :2]).astype("float64")
            check_gradients(layer, layer, [x])


def test_in_models_config_and_saved(tmp_path):
    k = keras()
    inp = em.Input((7, 10, 3))
    x = em.layers.Resizing(8, 8)(inp)
    x = em.layers.CenterCrop(6, 6)(x)
    x = em.layers.RandomCrop(5, 5)(x)
    x = em.layers.Cropping2D(1)(x)
    model = em.Model(inp, em.layers.Dense(1)(em.layers.Flatten()(x)))
    model.compile("adam", "mse")
    model.fit(IMG, np.zeros((2, 1), "float32"), epochs=1, verbose=0)
    path = str(tmp_path / "m.ember")
    model.save(path)
    np.testing.assert_allclose(em.models.load_model(path).predict(IMG, verbose=0),
                               model.predict(IMG, verbose=0), rtol=1e-6)
    for name, args in (("Resizing", (3, 4)), ("CenterCrop", (3, 4)), ("RandomCrop", (3, 4)),
                       ("Cropping2D", ()), ("Cropping3D", ()), ("Cropping1D", ()),
                       ("ZeroPadding3D", ())):
        ours, theirs = getattr(em.layers, name)(*args).get_config(), \
            getattr(k.layers, name)(*args).get_config()
        for key in set(ours) - {"name", "trainable", "dtype", "seed"}:
            want = theirs[key]
            want = [list(v) if isinstance(v, tuple) else v for v in want] \
                if isinstance(want, tuple) else want
            assert ours[key] == want, (name, key)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="Resizing: height"):
        em.layers.Resizing(0, 3)
    with pytest.raises(NotImplementedError, match="bicubic"):
        em.layers.Resizing(3, 3, interpolation="bicubic")
    with pytest.raises(ValueError, match="Cropping2D: cropping"):
        em.layers.Cropping2D((1, 2, 3))
    with pytest.raises(ValueError, match="leaves nothing"):
        em.layers.Cropping1D((3, 3))(em.ones((1, 6, 2)))
