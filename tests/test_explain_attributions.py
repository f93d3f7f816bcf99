"""ember.explain on the three kinds of model, its argument checks, and the inside-the-network
helpers (activations, filters, activation maximisation)."""

import numpy as np
import pytest

import ember as em

L = em.layers


def sequential():
    return em.Sequential([em.Input((8, 8, 1)), L.Conv2D(3, 3, activation="relu", name="conv"),
                          L.Flatten(name="flat"), L.Dense(4, activation="tanh", name="hidden"),
                          L.Dense(3, name="logits")])


def functional():
    inp = em.Input((8, 8, 1))
    h = L.Conv2D(3, 3, activation="relu", name="conv")(inp)
    h = L.Dense(4, activation="tanh", name="hidden")(L.Flatten(name="flat")(h))
    return em.Model(inp, L.Dense(3, name="logits")(h))


class Subclassed(em.Model):
    def __init__(self):
        super().__init__()
        self.conv = L.Conv2D(3, 3, activation="relu", name="conv")
        self.flat = L.Flatten(name="flat")
        self.hidden = L.Dense(4, activation="tanh", name="hidden")
        self.logits = L.Dense(3, name="logits")

    def call(self, x):
        return self.logits(self.hidden(self.flat(self.conv(x))))


@pytest.fixture
def models():
    x = np.random.default_rng(1).random((4, 8, 8, 1)).astype(np.float32)
    seq = sequential()
    out = [seq]
    for make in (functional, Subclassed):
        m = make()
        m(x[:1])
        for w, ref in zip(m.weights, seq.weights):
            w.data[...] = ref.data
        out.append(m)
    return out, x


METHODS = {
    "saliency": lambda m, x, t: em.explain.saliency(m, x, t),
    "gradient_x_input": lambda m, x, t: em.explain.gradient_x_input(m, x, t),
    "integrated_gradients": lambda m, x, t: em.explain.integrated_gradients(m, x, t, n_steps=8),
    "smoothgrad": lambda m, x, t: em.explain.smoothgrad("saliency", m, x, t, stdevs=0.1,
                                                        seed=0),
    "occlusion": lambda m, x, t: em.explain.occlusion(m, x, t, window=(2, 2), stride=2),
    "grad_cam": lambda m, x, t: em.explain.grad_cam(m, x, t),
    "guided_grad_cam": lambda m, x, t: em.explain.guided_grad_cam(m, x, t),
}


@pytest.mark.parametrize("name", list(METHODS))
def test_same_numbers_for_sequential_functional_and_subclassed(models, name):
    (seq, fun, sub), x = models
    target = [0, 2, 1, 0]
    ref = METHODS[name](seq, x, target)
    assert ref.dtype == np.float32
    assert ref.shape == ((4, 6, 6) if name == "grad_cam" else x.shape)
    assert np.abs(ref).sum() > 0
    for m in (fun, sub):
        np.testing.assert_allclose(METHODS[name](m, x, target), ref, atol=1e-6)


def test_target_forms_agree(models):
    (seq, _, _), x = models
    by_int = em.explain.saliency(seq, x, 1, abs=False)
    by_list = em.explain.saliency(seq, x, [1, 1, 1, 1], abs=False)
    by_fn = em.explain.saliency(seq, x, lambda out: out[:, 1], abs=False)
    np.testing.assert_allclose(by_int, by_list)
    np.testing.assert_allclose(by_int, by_fn, atol=1e-7)
    # each sample's map depends only on that sample (no cross-talk through the batch)
    one = em.explain.saliency(seq, x[2:3], 1, abs=False)
    np.testing.assert_allclose(one[0], by_int[2], atol=1e-7)


def test_float64_model_stays_float64():
    em.set_floatx("float64")
    model = em.Sequential([em.Input((3,)), L.Dense(2)])
    x = np.ones((2, 3))
    a, delta = em.explain.integrated_gradients(model, x, 0, return_convergence_delta=True,
                                               method="gausslegendre")
    assert a.dtype == np.float64 and np.abs(delta).max() < 1e-12


def test_integrated_gradients_batches_give_the_same_answer(models):
    (seq, _, _), x = models
    whole = em.explain.integrated_gradients(seq, x, 2, n_steps=10, internal_batch_size=None)
    rows = em.explain.integrated_gradients(seq, x, 2, n_steps=10, internal_batch_size=4)
    np.testing.assert_allclose(whole, rows, atol=1e-6)


def test_occlusion_of_a_linear_model_is_exact():
    """For f(x) = w . x and a window of one feature, the drop is w_i x_i exactly."""
    model = em.Sequential([em.Input((6,)), L.Dense(1, use_bias=False)])
    x = np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32)
    got = em.explain.occlusion(model, x, None, window=(1,), stride=1)
    np.testing.assert_allclose(got, x * model.layers[0].kernel.data[:, 0], atol=1e-6)


@pytest.mark.parametrize("call,match", [
    (lambda m, x: em.explain.saliency(m, x, 7), "target 7 is out of range for a model with 3"),
    (lambda m, x: em.explain.saliency(m, x, [0, 1]), "4 class indices"),
    (lambda m, x: em.explain.saliency(m, x, 0.5), "class index"),
    (lambda m, x: em.explain.saliency(m, x), "pass target"),
    (lambda m, x: em.explain.saliency(m, x, lambda o: o), "one score per sample"),
    (lambda m, x: em.explain.integrated_gradients(m, x, 0, method="simpson"), "riemann_left"),
    (lambda m, x: em.explain.integrated_gradients(m, x, 0, n_steps=1), "n_steps"),
    (lambda m, x: em.explain.integrated_gradients(m, x, 0, baselines=np.ones(5)), "baselines"),
    (lambda m, x: em.explain.smoothgrad("nope", m, x, 0), "one of"),
    (lambda m, x: em.explain.smoothgrad("saliency", m, x, 0, noise=np.ones(3)), "noise must"),
    (lambda m, x: em.explain.occlusion(m, x, 0, window=(9, 9)), "larger than a sample"),
    (lambda m, x: em.explain.occlusion(m, x, 0, window=(2, 2), stride=3), "skip"),
    (lambda m, x: em.explain.grad_cam(m, x, 0, layer="nope"), "no layer named 'nope'"),
    (lambda m, x: em.explain.grad_cam(m, x, 0, layer="hidden"), "feature maps"),
    (lambda m, x: em.explain.saliency(m, x[:0], 0), "non-empty batch"),
])
def test_bad_arguments_name_the_function_and_value(models, call, match):
    (seq, _, _), x = models
    with pytest.raises((ValueError, TypeError), match=match):
        call(seq, x)


def test_grad_cam_needs_a_conv_layer():
    model = em.Sequential([em.Input((4,)), L.Dense(2)])
    with pytest.raises(ValueError, match="no Conv2D"):
        em.explain.grad_cam(model, np.ones((1, 4), np.float32), 0)


def test_activations_lists_every_layer_in_call_order(models):
    (seq, fun, sub), x = models
    for m in (seq, fun, sub):
        acts = em.explain.activations(m, x)
        assert list(acts) == ["conv", "flat", "hidden", "logits"]
        assert acts["conv"].shape == (4, 6, 6, 3) and acts["hidden"].shape == (4, 4)
        np.testing.assert_allclose(acts["logits"], m.predict(x, verbose=0), atol=1e-6)
        assert (acts["conv"] >= 0).all()  # after the relu
    assert "call" not in seq.layers[0].__dict__  # the recording hooks are gone


def test_conv_filters(models):
    (seq, _, _), _ = models
    f = em.explain.conv_filters(seq, "conv")
    np.testing.assert_array_equal(f[2], seq.layers[0].kernel.data[..., 2])
    with pytest.raises(ValueError, match="no 2-D convolution kernel"):
        em.explain.conv_filters(seq, "hidden")


def test_activation_maximisation_climbs_and_beats_random_inputs(models):
    (seq, _, _), x = models
    best, curve = em.explain.maximize_activation(seq, "hidden", unit=2, steps=60,
                                                 learning_rate=0.05, l2=1e-3)
    assert best.shape == (1, 8, 8, 1) and curve[-1] > curve[0]
    act = em.explain.activations(seq, np.concatenate([best, x]))["hidden"][:, 2]
    assert act[0] > act[1:].max()
    # the L2 regulariser keeps the input bounded: a stronger one gives a smaller input
    small, _ = em.explain.maximize_activation(seq, "hidden", unit=2, steps=60,
                                              learning_rate=0.05, l2=1.0)
    assert np.linalg.norm(small) < np.linalg.norm(best)
    with pytest.raises(ValueError, match="unit 9 is out of range"):
        em.explain.maximize_activation(seq, "hidden", unit=9, steps=1)


def test_upsample_matches_torch():
    torch = pytest.importorskip("torch")
    maps = np.random.default_rng(0).random((2, 3, 5)).astype(np.float32)
    for mode in ("nearest", "bilinear"):
        want = torch.nn.functional.interpolate(torch.from_numpy(maps)[:, None], (7, 12),
                                               mode=mode)[:, 0].numpy()
        np.testing.assert_allclose(em.explain.upsample(maps, (7, 12), mode), want, atol=1e-6)


def test_guided_backprop_guides_a_relu_called_as_a_function_in_a_custom_call():
    """Captum guides only nn.ReLU modules; ember guides every relu, so a subclassed model that
    calls em.relu gets the same map as the Sequential network with ReLU layers."""
    rng = np.random.default_rng(3)
    dense1, dense2 = em.layers.Dense(8), em.layers.Dense(3)

    class Custom(em.Model):
        def __init__(self):
            super().__init__()
            self.d1, self.d2 = dense1, dense2

        def call(self, x):
            return self.d2(em.relu(self.d1(x)))

    x = rng.normal(size=(5, 4)).astype("float32")
    custom = Custom()
    custom(x)
    layered = em.Sequential([em.Input((4,)), em.layers.Dense(8, activation="relu"),
                             em.layers.Dense(3)])
    layered.set_weights(custom.get_weights())
    guided = em.explain.guided_backprop(custom, x, target=1)
    np.testing.assert_allclose(guided, em.explain.guided_backprop(layered, x, target=1),
                               rtol=1e-6, atol=1e-7)
    plain = em.explain.saliency(custom, x, target=1, abs=False)
    assert not np.allclose(guided, plain)  # the guided rule really acted
    after = em.explain.saliency(custom, x, target=1, abs=False)
    np.testing.assert_array_equal(plain, after)  # and was switched off again
