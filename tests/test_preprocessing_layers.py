"""Normalization, Rescaling and the random augmentation layers (flip, rotation, translation,
zoom, contrast, brightness, Gaussian noise)."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.ops import affine as _affine

L = em.layers

GEOMETRIC = [
    lambda **kw: L.RandomRotation(0.2, **kw),
    lambda **kw: L.RandomTranslation(0.2, 0.3, **kw),
    lambda **kw: L.RandomZoom(0.3, **kw),
]
ALL_RANDOM = GEOMETRIC + [
    lambda **kw: L.RandomFlip(**kw),
    lambda **kw: L.RandomContrast(0.5, **kw),
    lambda **kw: L.RandomBrightness(0.3, **kw),
    lambda **kw: L.GaussianNoise(0.1, **kw),
]


@pytest.fixture
def images(rng):
    return rng.random((6, 7, 7, 3)).astype("float32")


# ---------------------------------------------------------------------- Normalization
def test_normalization_adapt_matches_numpy(rng):
    data = rng.normal(3.0, 2.0, size=(200, 4))
    layer = L.Normalization()
    layer.adapt(data)
    np.testing.assert_allclose(layer.mean.numpy(), data.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy(), data.var(axis=0), rtol=1e-5)
    out = layer(data.astype("float32")).numpy()
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-5)
    assert [w.trainable for w in layer.weights] == [False, False]
    assert layer.trainable_weights == []


def test_normalization_adapt_in_batches_equals_whole(rng):
    data = rng.normal(size=(101, 3, 2))
    whole, parts = L.Normalization(axis=(1, 2)), L.Normalization(axis=(1, 2))
    whole.adapt(data)
    ds = em.data.Dataset.from_arrays(data, np.zeros(101), batch_size=17)  # (x, y) batches
    parts.adapt(ds)
    np.testing.assert_allclose(parts.mean.numpy(), whole.mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(parts.variance.numpy(), whole.variance.numpy(), rtol=1e-5)
    assert whole.mean.shape == (3, 2)


def test_normalization_axis_none_and_given_stats_and_invert():
    layer = L.Normalization(axis=None)
    layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_allclose(layer(np.array([1.0, 2.0, 3.0], "float32")).numpy(),
                               [-1.4142135, -0.70710677, 0.0], rtol=1e-6)
    fixed = L.Normalization(mean=3.0, variance=2.0)
    np.testing.assert_allclose(fixed(np.array([[1.0], [3.0]], "float32")).numpy(),
                               [[-1.4142135], [0.0]], rtol=1e-6)
    inv = L.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    np.testing.assert_allclose(inv(np.array([[1.0, 1.0]], "float32")).numpy(), [[3.0, 5.0]])


def test_normalization_errors():
    with pytest.raises(ValueError, match="both mean and variance"):
        L.Normalization(mean=1.0)
    layer = L.Normalization()
    layer.adapt(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="built for inputs"):
        layer.adapt(np.zeros((4, 5)))


def test_normalization_saved_with_model(tmp_path, rng):
    data = rng.normal(5.0, 3.0, size=(50, 3)).astype("float32")
    model = em.Sequential([L.Normalization(input_shape=(3,)), L.Dense(2)])
    model.layers[0].adapt(data)
    path = tmp_path / "norm.ember"
    model.save(path)
    same = em.models.load_model(path)
    np.testing.assert_allclose(same.layers[0].mean.numpy(), data.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(same.predict(data, verbose=0), model.predict(data, verbose=0))


def test_rescaling():
    x = np.array([[0, 127, 255]], dtype="uint8")
    out = L.Rescaling(1 / 127.5, offset=-1)(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [[-1.0, -0.003921569, 1.0]], atol=1e-6)
    cfg = L.Rescaling(0.5, offset=[1.0, 2.0]).get_config()
    assert (cfg["scale"], cfg["offset"]) == (0.5, [1.0, 2.0])
    with pytest.raises(ValueError, match="scale"):
        L.Rescaling("big")


# ---------------------------------------------------------------------- augmentation basics
@pytest.mark.parametrize("make", ALL_RANDOM)
def test_inference_returns_the_input_untouched(make, images):
    layer = make()
    x = em.tensor(images)
    assert layer(x, training=False) is x
    np.testing.assert_array_equal(layer(images, training=False).numpy(), images)
    model = em.Sequential([em.layers.Input(images.shape[1:]), make()])
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)
    # called directly, Keras' image preprocessing layers take training=True (they augment);
    # GaussianNoise, like Keras', needs training=True
    if isinstance(layer, L.GaussianNoise):
        assert layer(x) is x
    else:
        assert not np.allclose(layer(x).numpy(), images)


@pytest.mark.parametrize("make", ALL_RANDOM)
def test_same_seed_same_batch_different_seed_differs(make, images):
    a = make(seed=1)(images, training=True).numpy()
    b = make(seed=1)(images, training=True).numpy()
    c = make(seed=2)(images, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == images.shape and a.dtype == np.float32


@pytest.mark.parametrize("make", ALL_RANDOM)
def test_config_round_trip(make):
    layer = make(seed=3)
    cfg = em.layers.serialize(layer)
    again = em.layers.deserialize(cfg)
    assert type(again) is type(layer)
    assert again.get_config() == layer.get_config()


def test_global_seed_makes_unseeded_layers_reproducible(images):
    em.utils.set_random_seed(5)
    a = L.RandomRotation(0.3)(images, training=True).numpy()
    em.utils.set_random_seed(5)
    b = L.RandomRotation(0.3)(images, training=True).numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fill_mode", _affine.FILL_MODES)
@pytest.mark.parametrize("interpolation", _affine.INTERPOLATIONS)
def test_zero_factors_are_identities(images, fill_mode, interpolation):
    kw = {"fill_mode": fill_mode, "interpolation": interpolation}
    for layer in (L.RandomRotation(0.0, **kw), L.RandomTranslation(0.0, 0.0, **kw),
                  L.RandomZoom(0.0, **kw)):
        np.testing.assert_array_equal(layer(images, training=True).numpy(), images)


def test_zero_rate_flip_contrast_brightness_noise_identities(images):
    for mode in ("horizontal", "vertical", "horizontal_and_vertical"):
        np.testing.assert_array_equal(
            L.RandomFlip(mode, rate=0.0)(images, training=True).numpy(), images)
    np.testing.assert_allclose(L.RandomContrast(0.0)(images, training=True).numpy(), images,
                               atol=1e-6)
    np.testing.assert_array_equal(L.RandomBrightness(0.0)(images, training=True).numpy(),
                                  images)
    np.testing.assert_array_equal(L.GaussianNoise(0.0)(images, training=True).numpy(), images)


# ---------------------------------------------------------------------- geometry
@pytest.mark.parametrize("interpolation", _affine.INTERPOLATIONS)
def test_quarter_turn_equals_rot90(rng, interpolation):
    x = rng.random((3, 6, 6, 2)).astype("float32")
    out = L.RandomRotation((0.25, 0.25), interpolation=interpolation)(x, training=True)
    np.testing.assert_allclose(out.numpy(), np.rot90(x, 1, axes=(1, 2)), atol=1e-5)
    back = L.RandomRotation((-0.5, -0.5), interpolation="nearest")(x, training=True)
    np.testing.assert_array_equal(back.numpy(), np.rot90(x, 2, axes=(1, 2)))


@pytest.mark.parametrize("mode,axes", [("horizontal", (2,)), ("vertical", (1,)),
                                       ("horizontal_and_vertical", (1, 2))])
def test_flip_equals_np_flip_where_applied(images, mode, axes):
    big = np.repeat(images, 4, axis=0)  # 24 images: both outcomes occur
    out = L.RandomFlip(mode, seed=0)(big, training=True).numpy()
    seen = set()
    for got, img in zip(out, big):
        candidates = {"none": img, "h": img[:, ::-1], "v": img[::-1], "hv": img[::-1, ::-1]}
        allowed = {"horizontal": ("none", "h"), "vertical": ("none", "v"),
                   "horizontal_and_vertical": ("none", "h", "v", "hv")}[mode]
        match = [k for k in allowed if np.array_equal(got, candidates[k])]
        assert match, "each image is either unchanged or flipped along the mode's axes"
        seen.add(match[0])
    assert len(seen) > 1
    full = L.RandomFlip(mode, rate=1.0)(images, training=True).numpy()
    np.testing.assert_array_equal(full, np.flip(images, axis=tuple(a for a in axes)))


@pytest.mark.parametrize("fill_mode,expected", [
    ("reflect", [1, 0, 0, 1]),     # (d c b a | a b c d): -2 -> b, -1 -> a
    ("constant", [-9, -9, 0, 1]),
    ("wrap", [2, 3, 0, 1]),
    ("nearest", [0, 0, 0, 1]),
])
def test_fill_modes_on_a_shift(fill_mode, expected):
    row = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)  # a b c d = 0 1 2 3
    m = _affine.translation_matrices(np, [2.0], [0.0])  # shift right by 2 pixels
    out = _affine.affine_transform(row, m, "nearest", fill_mode, fill_value=-9.0)
    np.testing.assert_array_equal(out.numpy().ravel(), expected)


def test_translation_direction_and_bilinear_half_pixel():
    img = np.zeros((1, 5, 5, 1), "float32")
    img[0, 2, 2, 0] = 1.0
    layer = L.RandomTranslation((0.2, 0.2), (-0.2, -0.2), fill_mode="constant",
                                interpolation="nearest")
    out = layer(img, training=True).numpy()[0, :, :, 0]
    assert out[3, 1] == 1.0 and out.sum() == 1.0  # one pixel down (+20% of 5), one left
    half = _affine.affine_transform(img, _affine.translation_matrices(np, [0.5], [0.0]),
                                    "bilinear", "constant").numpy()[0, 2, :, 0]
    np.testing.assert_allclose(half, [0, 0, 0.5, 0.5, 0])


def test_zoom_out_shrinks_and_zoom_in_enlarges():
    img = np.zeros((1, 9, 9, 1), "float32")
    img[0, 2:7, 2:7] = 1.0  # a 5x5 square in the middle
    kw = {"fill_mode": "constant", "interpolation": "nearest"}
    out = L.RandomZoom((1.0, 1.0), **kw)(img, training=True).numpy()  # field of view x2
    inn = L.RandomZoom((-0.5, -0.5), **kw)(img, training=True).numpy()  # x0.5
    assert out.sum() < img.sum() < inn.sum()
    wide = L.RandomZoom((0.0, 0.0), width_factor=(1.0, 1.0), **kw)(img, training=True).numpy()
    assert wide[0, :, 4].sum() == 5 and wide[0, 4, :].sum() < 5  # only the width shrinks


def test_single_image_channels_first_and_integer_input(rng):
    img = (rng.random((5, 5, 2)) * 255).astype("uint8")
    out = L.RandomRotation((0.25, 0.25), interpolation="nearest")(img, training=True)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), np.rot90(img, 1, axes=(0, 1)))
    cf = rng.random((2, 3, 5, 5)).astype("float32")
    out = L.RandomFlip("horizontal", rate=1.0, data_format="channels_first")(cf, training=True)
    np.testing.assert_array_equal(out.numpy(), cf[..., ::-1])


def test_contrast_and_brightness_values(rng):
    x = rng.random((4, 5, 5, 3)).astype("float32")
    out = L.RandomContrast(0.5, value_range=(0, 1), seed=0)(x, training=True).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    ratio = (out - mean) / (x - mean)
    unclipped = (out > 0) & (out < 1)
    c = np.array([np.median(r[u]) for r, u in zip(ratio, unclipped)])
    assert ((c >= 0.5) & (c <= 1.5)).all()
    np.testing.assert_allclose(out, np.clip((x - mean) * c[:, None, None, None] + mean, 0, 1),
                               atol=1e-5)
    up = L.RandomBrightness((0.5, 0.5), value_range=(0, 1))(x, training=True).numpy()
    np.testing.assert_allclose(up, np.clip(x + 0.5, 0, 1))


def test_gaussian_noise_statistics():
    x = np.zeros((200, 50), "float32")
    out = L.GaussianNoise(0.5, seed=0)(x, training=True).numpy()
    assert out.dtype == np.float32
    assert abs(out.mean()) < 0.01 and abs(out.std() - 0.5) < 0.01


def test_gradients_pass_through(rng):
    x = rng.random((2, 4, 4, 1))
    for make in (lambda: L.RandomFlip(seed=0), lambda: L.RandomRotation(0.2, seed=0),
                 lambda: L.RandomZoom(0.3, fill_mode="constant", seed=0),
                 lambda: L.RandomContrast(0.4, seed=0), lambda: L.GaussianNoise(0.1, seed=0)):
        # a fresh seeded layer per call draws the same augmentation every time
        assert em.gradcheck(lambda t, make=make: make()(t, training=True), [x])


@pytest.mark.parametrize("bad", [
    lambda: L.RandomRotation(0.2, fill_mode="mirror"),
    lambda: L.RandomRotation(0.2, interpolation="bicubic"),
    lambda: L.RandomRotation(1.5),
    lambda: L.RandomTranslation((0.1, 0.2, 0.3), 0.1),
    lambda: L.RandomFlip("diagonal"),
    lambda: L.RandomFlip(rate=2.0),
    lambda: L.RandomContrast(-0.1),
    lambda: L.RandomBrightness(0.2, value_range=(1, 1)),
    lambda: L.GaussianNoise(-1.0),
])
def test_bad_arguments_raise(bad):
    with pytest.raises(ValueError):
        bad()


def test_rank_error_names_layer():
    with pytest.raises(ValueError, match="RandomFlip .* expects images"):
        L.RandomFlip()(np.zeros((2, 3), "float32"), training=True)


def test_augmentation_in_a_sequential_model_trains_and_saves(tmp_path, rng):
    x = rng.random((16, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 2, 16)
    model = em.Sequential([L.RandomFlip("horizontal", seed=1, input_shape=(6, 6, 1)),
                           L.RandomRotation(0.1, seed=2), L.Flatten(), L.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "aug.ember"
    model.save(path)
    same = em.models.load_model(path)
    assert [type(layer).__name__ for layer in same.layers][:2] == ["RandomFlip",
                                                                   "RandomRotation"]
    np.testing.assert_allclose(same.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


@pytest.mark.parametrize("fill_mode,scipy_mode", [("reflect", "reflect"), ("wrap", "grid-wrap"),
                                                  ("nearest", "nearest"),
                                                  ("constant", "grid-constant")])
@pytest.mark.parametrize("order,interpolation", [(0, "nearest"), (1, "bilinear")])
def test_affine_transform_matches_scipy(rng, fill_mode, scipy_mode, order, interpolation):
    ndimage = pytest.importorskip("scipy.ndimage")
    x = rng.random((3, 9, 11, 2)).astype("float32")
    n, h, w, _ = x.shape
    m = _affine.rotation_matrices(np, rng.uniform(-1.0, 1.0, n), h, w)
    m[:, :, :2] *= rng.uniform(0.7, 1.6, (n, 1, 1))  # zoom as well
    m[:, :, 2] += rng.uniform(-4, 4, (n, 2))  # and shift
    out = _affine.affine_transform(x, m, interpolation, fill_mode, fill_value=0.25).numpy()
    ys, xs = np.mgrid[0:h, 0:w].astype("float64")
    for b in range(n):
        src_x = m[b, 0, 0] * xs + m[b, 0, 1] * ys + m[b, 0, 2]
        src_y = m[b, 1, 0] * xs + m[b, 1, 1] * ys + m[b, 1, 2]
        for ch in range(x.shape[-1]):
            want = ndimage.map_coordinates(x[b, :, :, ch].astype("float64"), [src_y, src_x],
                                           order=order, mode=scipy_mode, cval=0.25)
            np.testing.assert_allclose(out[b, :, :, ch], want, atol=1e-5)


def test_second_order_gradients_through_the_resampling(rng):
    x = rng.random((2, 4, 5, 1))
    f = lambda t: L.RandomRotation(0.2, fill_mode="constant", fill_value=0.3,
                                   seed=0)(t, training=True) ** 2
    assert em.gradgradcheck(f, [x])
