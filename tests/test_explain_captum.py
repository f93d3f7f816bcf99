"""ember.explain gives Captum's numbers: the same small convnet in both frameworks (weights
ported), every method compared with ``captum.attr`` to float32 tolerance."""

import numpy as np
import pytest

import ember as em

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from benchmarks.torch_port import nchw, nhwc, to_torch  # noqa: E402

ATOL = 2e-5
# Captum switches requires_grad on for the inputs it is given, and says so each time
# (and GuidedBackprop says it hooks the ReLUs)
pytestmark = [pytest.mark.filterwarnings("ignore:Input Tensor 0 did not already require"),
              pytest.mark.filterwarnings("ignore:Setting backward hooks on ReLU")]


@pytest.fixture(scope="module")
def pair():
    em.utils.set_random_seed(3)
    model = em.Sequential([
        em.Input((10, 10, 2)),
        em.layers.Conv2D(4, 3, activation="relu", name="c1"),
        em.layers.MaxPooling2D(2, name="pool"),
        em.layers.Conv2D(6, 2, activation="relu", name="c2"),
        em.layers.Flatten(),
        em.layers.Dense(8, activation="relu"),
        em.layers.Dense(3),
    ])
    rng = np.random.default_rng(7)
    for w in model.weights:  # bias too, so no unit sits exactly at 0
        w.data[...] = rng.normal(0, 0.5, w.shape).astype(np.float32)
    x = rng.random((5, 10, 10, 2)).astype(np.float32)
    net, by_name = to_torch(model, torch)
    return model, net, by_name, x


def _t(x):
    return torch.from_numpy(nchw(x))


def test_port_is_the_same_function(pair):
    model, net, _, x = pair
    with torch.no_grad():
        want = net(_t(x)).detach().numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-5)


@pytest.mark.parametrize("absolute", [True, False])
def test_saliency(pair, absolute):
    model, net, _, x = pair
    target = [0, 1, 2, 1, 0]
    want = captum_attr.Saliency(net).attribute(_t(x), target=target, abs=absolute)
    got = em.explain.saliency(model, x, target, abs=absolute)
    assert got.dtype == np.float32 and got.shape == x.shape
    np.testing.assert_allclose(got, nhwc(want.detach().numpy()), atol=ATOL)


def test_gradient_x_input(pair):
    model, net, _, x = pair
    want = captum_attr.InputXGradient(net).attribute(_t(x), target=2)
    got = em.explain.gradient_x_input(model, x, 2)
    np.testing.assert_allclose(got, nhwc(want.detach().numpy()), atol=ATOL)


@pytest.mark.parametrize("method", ["riemann_trapezoid", "riemann_left", "riemann_right",
                                    "riemann_middle", "gausslegendre"])
def test_integrated_gradients_and_delta(pair, method):
    model, net, _, x = pair
    base = np.full_like(x, 0.25)
    want, want_delta = captum_attr.IntegratedGradients(net).attribute(
        _t(x), baselines=_t(base), target=1, n_steps=20, method=method,
        return_convergence_delta=True)
    got, delta = em.explain.integrated_gradients(
        model, x, 1, baselines=base, n_steps=20, method=method, return_convergence_delta=True,
        internal_batch_size=30)  # 30 rows: 6 steps of 5 samples per forward, 4 chunks
    np.testing.assert_allclose(got, nhwc(want.detach().numpy()), atol=ATOL)
    np.testing.assert_allclose(delta, want_delta.detach().numpy(), atol=ATOL)


def test_integrated_gradients_default_baseline(pair):
    model, net, _, x = pair
    want = captum_attr.IntegratedGradients(net).attribute(_t(x), target=0, n_steps=16,
                                                          method="riemann_trapezoid")
    got = em.explain.integrated_gradients(model, x, 0, n_steps=16)
    np.testing.assert_allclose(got, nhwc(want.detach().numpy()), atol=ATOL)


def _captum_noise(n, samples, shape, stdev, seed):
    """The noise Captum's NoiseTunnel draws after ``torch.manual_seed(seed)`` (one partition)."""
    torch.manual_seed(seed)
    noise = torch.normal(0, torch.tensor(stdev).repeat((n * samples,) + shape))
    return noise.numpy()


@pytest.mark.parametrize("nt_type", ["smoothgrad", "smoothgrad_sq", "vargrad"])
def test_noise_tunnel_over_saliency(pair, nt_type):
    model, net, _, x = pair
    n, s, stdev = len(x), 4, 0.3
    noise = _captum_noise(n, s, tuple(nchw(x).shape[1:]), stdev, seed=11)
    torch.manual_seed(11)
    nt = captum_attr.NoiseTunnel(captum_attr.Saliency(net))
    want = nt.attribute(_t(x), nt_type=nt_type, nt_samples=s, stdevs=stdev, target=2)
    ours = nhwc(noise).reshape((n, s) + x.shape[1:])
    got = em.explain.smoothgrad(em.explain.saliency, model, x, 2, nt_samples=s,
                                stdevs=stdev, nt_type=nt_type, noise=ours)
    np.testing.assert_allclose(got, nhwc(want.detach().numpy()), atol=ATOL)


def test_noise_tunnel_over_integrated_gradients(pair):
    model, net, _, x = pair
    n, s, stdev = len(x), 3, 0.2
    noise = _captum_noise(n, s, tuple(nchw(x).shape[1:]), stdev, seed=5)
    torch.manual_seed(5)
    nt = captum_attr.NoiseTunnel(captum_attr.IntegratedGradients(net))
    want, want_delta = nt.attribute(_t(x), nt_samples=s, stdevs=stdev,
                                    target=[0, 1, 2, 0, 1], n_steps=8, method="gausslegendre",
                                    return_convergence_delta=True)
    got, delta = em.explain.smoothgrad("integrated_gradients", model, x, [0, 1, 2, 0, 1],
                                       nt_samples=s, stdevs=stdev,
                                       noise=nhwc(noise).reshape((n, s) + x.shape[1:]),
                                       n_steps=8, method="gausslegendre",
                                       return_convergence_delta=True)
    np.testing.assert_allclose(got, nhwc(want.detach().numpy()), atol=ATOL)
    assert delta.shape == (n * s,)  # one per noisy copy, as Captum
    np.testing.assert_allclose(delta, want_delta.detach().numpy(), atol=ATOL)


def test_smoothgrad_seed_is_reproducible(pair):
    model, _, _, x = pair
    a = em.explain.smoothgrad("saliency", model, x, 0, stdevs=0.1, seed=4)
    b = em.explain.smoothgrad("saliency", model, x, 0, stdevs=0.1, seed=4)
    c = em.explain.smoothgrad("saliency", model, x, 0, stdevs=0.1, seed=5)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("window,stride,baseline", [((3, 3), 1, 0.0), ((4, 3), (2, 3), 0.5),
                                                     ((3, 3, 1), (2, 2, 1), 0.0)])
def test_occlusion(pair, window, stride, baseline):
    model, net, _, x = pair
    win = tuple(window) + ((x.shape[-1],) if len(window) == 2 else ())
    st = (stride,) * 3 if isinstance(stride, int) else tuple(stride) + \
        ((1,) if len(stride) == 2 else ())
    if len(window) == 2:
        st = st[:2] + (1,)
    # captum's axes are (C, H, W)
    want = captum_attr.Occlusion(net).attribute(
        _t(x), target=1, sliding_window_shapes=(win[2], win[0], win[1]),
        strides=(st[2], st[0], st[1]), baselines=baseline)
    got = em.explain.occlusion(model, x, 1, window=window, stride=stride, baseline=baseline,
                               batch_size=64)
    np.testing.assert_allclose(got, nhwc(want.detach().numpy()), atol=ATOL)


@pytest.mark.parametrize("layer", ["c1", "c2", None])
@pytest.mark.parametrize("relu", [True, False])
def test_grad_cam(pair, layer, relu):
    model, net, by_name, x = pair
    module = by_name[layer or "c2"]
    want = captum_attr.LayerGradCam(net, module).attribute(
        _t(x), target=[2, 0, 1, 1, 0], relu_attributions=relu)
    got = em.explain.grad_cam(model, x, [2, 0, 1, 1, 0], layer=layer, relu=relu)
    assert got.shape == (len(x),) + tuple(want.shape[2:])
    np.testing.assert_allclose(got, want.detach().numpy()[:, 0], atol=ATOL)
    for mode in ("nearest", "bilinear"):
        up = captum_attr.LayerAttribution.interpolate(want, (10, 10), interpolate_mode=mode)
        got_up = em.explain.grad_cam(model, x, [2, 0, 1, 1, 0], layer=layer, relu=relu,
                                     upsample_to_input=mode)
        np.testing.assert_allclose(got_up, up.detach().numpy()[:, 0], atol=ATOL)


def test_guided_backprop_and_guided_grad_cam(pair):
    model, net, by_name, x = pair
    want = captum_attr.GuidedBackprop(net).attribute(_t(x), target=1)
    np.testing.assert_allclose(em.explain.guided_backprop(model, x, 1), nhwc(want.detach().numpy()),
                               atol=ATOL)
    want = captum_attr.GuidedGradCam(net, by_name["c2"]).attribute(_t(x), target=1)
    np.testing.assert_allclose(em.explain.guided_grad_cam(model, x, 1), nhwc(want.detach().numpy()),
                               atol=ATOL)
    # the swap is undone: plain gradients again afterwards
    plain = captum_attr.Saliency(net).attribute(_t(x), target=1, abs=False)
    np.testing.assert_allclose(em.explain.saliency(model, x, 1, abs=False),
                               nhwc(plain.detach().numpy()), atol=ATOL)


def test_target_function_matches_captum_on_a_summed_output(pair):
    model, net, _, x = pair

    def wrapped(inp):
        return net(inp)[:, 0] - net(inp)[:, 2]

    want = captum_attr.Saliency(wrapped).attribute(_t(x), abs=False)
    got = em.explain.saliency(model, x, lambda out: out[:, 0] - out[:, 2], abs=False)
    np.testing.assert_allclose(got, nhwc(want.detach().numpy()), atol=ATOL)
