"""The literature's sanity checks on networks trained on (a subset of) real MNIST:

- Integrated Gradients' completeness: sum of attributions = f(x) - f(baseline), within 1 % at
  64 steps (Sundararajan et al., 2017);
- the model-randomisation test (Adebayo et al., 2018): a re-initialised network's saliency maps
  do not resemble the trained network's (Spearman rank correlation below 0.5);
- Grad-CAM on the trained convnet puts most of its mass on the digit's pixels.
"""

import numpy as np
import pytest

import ember as em

TRAIN, TEST = 2000, 32


def convnet():
    return em.Sequential([
        em.Input((28, 28, 1)),
        em.layers.Conv2D(16, 3, activation="relu"), em.layers.MaxPooling2D(2),
        em.layers.Conv2D(32, 3, activation="relu", name="last_conv"), em.layers.MaxPooling2D(2),
        em.layers.Flatten(), em.layers.Dense(10),
    ])


def dense():
    return em.Sequential([em.Input((28, 28, 1)), em.layers.Flatten(),
                          em.layers.Dense(64, activation="relu"), em.layers.Dense(10)])


@pytest.fixture(scope="module")
def mnist(request):
    from conftest import mnist_dir

    path = mnist_dir()
    if path is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR)")
    (x, y), (xt, _) = em.datasets.mnist.load_data(path=str(path))
    x = (x[:TRAIN] / 255.0).astype(np.float32)[..., None]
    xt = (xt[:TEST] / 255.0).astype(np.float32)[..., None]
    return x, y[:TRAIN], xt


@pytest.fixture(scope="module")
def trained(mnist):
    x, y, xt = mnist
    models = {}
    for name, make in (("dense", dense), ("convnet", convnet)):
        em.utils.set_random_seed(0)
        model = make()
        model.compile("adam", em.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        model.fit(x, y, epochs=2, batch_size=64, verbose=0)
        models[name] = model
    return models, xt


@pytest.mark.parametrize("name", ["dense", "convnet"])
@pytest.mark.parametrize("method", ["gausslegendre", "riemann_middle"])
def test_integrated_gradients_completeness(trained, name, method):
    models, xt = trained
    model = models[name]
    pred = model.predict(xt, verbose=0).argmax(axis=1)
    attr, delta = em.explain.integrated_gradients(model, xt, pred, n_steps=64, method=method,
                                                  return_convergence_delta=True)
    out = model.predict(xt, verbose=0)[np.arange(TEST), pred]
    base = model.predict(np.zeros_like(xt), verbose=0)[np.arange(TEST), pred]
    gap = out - base
    # delta is sum(attr) - (f(x) - f(b)), as Captum defines it
    np.testing.assert_allclose(attr.reshape(TEST, -1).sum(1) - gap, delta, atol=1e-4)
    # relative error where f(x) - f(b) is not ~0 (a ratio to ~0 says nothing about the sum)
    big = np.abs(gap) > 1.0
    assert big.sum() >= TEST // 2
    assert np.max(np.abs(delta[big]) / np.abs(gap[big])) < 0.01


def test_trapezoid_follows_captum_and_falls_short_by_one_over_n(trained):
    """Captum's riemann_trapezoid weights sum to 1 - 1/n: on a linear model (constant
    gradient) the attributions are exactly (n-1)/n of f(x) - f(b)."""
    em.utils.set_random_seed(1)
    model = em.Sequential([em.Input((6,)), em.layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    a, delta = em.explain.integrated_gradients(model, x, 0, n_steps=64,
                                               return_convergence_delta=True)
    gap = a.sum(1) - delta
    np.testing.assert_allclose(a.sum(1), gap * 63 / 64, rtol=1e-4)


def spearman(a, b):
    """Per-sample Spearman rank correlation of two stacks of maps."""
    def ranks(m):
        return m.reshape(len(m), -1).argsort(1).argsort(1).astype(np.float64)
    ra, rb = ranks(a), ranks(b)
    ra -= ra.mean(1, keepdims=True)
    rb -= rb.mean(1, keepdims=True)
    return (ra * rb).sum(1) / np.sqrt((ra * ra).sum(1) * (rb * rb).sum(1))


@pytest.mark.parametrize("name,make", [("dense", dense), ("convnet", convnet)])
def test_model_randomisation_changes_the_maps(trained, name, make):
    models, xt = trained
    model = models[name]
    pred = model.predict(xt, verbose=0).argmax(axis=1)
    em.utils.set_random_seed(123)
    random_model = make()
    random_model.build((None, 28, 28, 1))
    for method in (lambda m: em.explain.saliency(m, xt, pred, abs=False),
                   lambda m: em.explain.gradient_x_input(m, xt, pred)):
        rho = spearman(method(model), method(random_model))
        assert rho.mean() < 0.5, rho.mean()
    # sanity of the measure itself: a map correlates perfectly with itself
    s = em.explain.saliency(model, xt, pred)
    np.testing.assert_allclose(spearman(s, s), 1.0)


def digit_region(x, grow=2):
    """The digit's pixels: input > 0, dilated by ``grow`` pixels (a (2g+1)^2 square)."""
    ink = x[..., 0] > 0
    padded = np.pad(ink, ((0, 0), (grow, grow), (grow, grow)))
    h, w = ink.shape[1:]
    out = np.zeros_like(ink)
    for dy in range(2 * grow + 1):
        for dx in range(2 * grow + 1):
            out |= padded[:, dy:dy + h, dx:dx + w]
    return out


def test_grad_cam_mass_lies_on_the_digit(trained):
    models, xt = trained
    model = models["convnet"]
    pred = model.predict(xt, verbose=0).argmax(axis=1)
    cam = em.explain.grad_cam(model, xt, pred, upsample_to_input="bilinear")
    assert cam.shape == (TEST, 28, 28) and (cam >= 0).all()
    region = digit_region(xt)
    share = region.mean()  # the region's share of the pixels: what a uniform map would give
    inside = (cam * region).sum() / cam.sum()
    assert inside > 0.5 and inside > share + 0.15, (inside, share)
