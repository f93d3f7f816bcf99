"""The numbers behind ember.explain's tests, printed rather than asserted:

- each method's largest difference to Captum on a small random convnet (weights ported);
- Integrated Gradients' completeness error at 64 steps on MNIST dense and convnet networks
  (2,000 training images, 2 epochs; 32 test images);
- the model-randomisation rank correlations (trained vs re-initialised network).

    python -m benchmarks.explain_numbers
"""

from __future__ import annotations

import warnings

import numpy as np


def captum_differences() -> dict[str, float]:
    import torch
    from captum import attr as ca

    import ember as em
    from benchmarks.torch_port import nchw, nhwc, to_torch

    warnings.filterwarnings("ignore", message="Input Tensor 0 did not already require")
    em.utils.set_random_seed(3)
    model = em.Sequential([
        em.Input((10, 10, 2)), em.layers.Conv2D(4, 3, activation="relu", name="c1"),
        em.layers.MaxPooling2D(2), em.layers.Conv2D(6, 2, activation="relu", name="c2"),
        em.layers.Flatten(), em.layers.Dense(8, activation="relu"), em.layers.Dense(3)])
    rng = np.random.default_rng(7)
    for w in model.weights:
        w.data[...] = rng.normal(0, 0.5, w.shape).astype(np.float32)
    x = rng.random((5, 10, 10, 2)).astype(np.float32)
    net, by_name = to_torch(model, torch)
    xt = torch.from_numpy(nchw(x))

    def d(ours, theirs, layout=True):
        t = theirs.detach().numpy()
        return float(np.abs(ours - (nhwc(t) if layout else t)).max())

    out = {
        "saliency": d(em.explain.saliency(model, x, 1), ca.Saliency(net).attribute(xt, 1)),
        "gradient_x_input": d(em.explain.gradient_x_input(model, x, 1),
                              ca.InputXGradient(net).attribute(xt, 1)),
    }
    for method in ("riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle",
                   "gausslegendre"):
        a, delta = em.explain.integrated_gradients(model, x, 1, n_steps=20, method=method,
                                                   return_convergence_delta=True)
        b, bdelta = ca.IntegratedGradients(net).attribute(
            xt, target=1, n_steps=20, method=method, return_convergence_delta=True)
        out[f"integrated_gradients[{method}]"] = d(a, b)
        out[f"convergence_delta[{method}]"] = float(np.abs(delta - bdelta.numpy()).max())
    torch.manual_seed(0)
    noise = torch.normal(0, torch.tensor(0.3).repeat((5 * 4,) + tuple(xt.shape[1:])))
    torch.manual_seed(0)
    b = ca.NoiseTunnel(ca.Saliency(net)).attribute(xt, nt_samples=4, stdevs=0.3, target=2)
    out["smoothgrad(saliency)"] = d(em.explain.smoothgrad(
        "saliency", model, x, 2, nt_samples=4, stdevs=0.3,
        noise=nhwc(noise.numpy()).reshape((5, 4) + x.shape[1:])), b)
    out["occlusion"] = d(em.explain.occlusion(model, x, 1, window=(3, 3), stride=1),
                         ca.Occlusion(net).attribute(xt, target=1,
                                                     sliding_window_shapes=(2, 3, 3)))
    b = ca.LayerGradCam(net, by_name["c2"]).attribute(xt, target=0, relu_attributions=True)
    out["grad_cam"] = d(em.explain.grad_cam(model, x, 0), b[:, 0], layout=False)
    out["guided_grad_cam"] = d(em.explain.guided_grad_cam(model, x, 0),
                               ca.GuidedGradCam(net, by_name["c2"]).attribute(xt, target=0))
    return out


def mnist_numbers() -> dict[str, float]:
    import ember as em

    (x, y), (xt, _) = em.datasets.mnist.load_data()
    x = (x[:2000] / 255.0).astype(np.float32)[..., None]
    xt = (xt[:32] / 255.0).astype(np.float32)[..., None]
    nets = {
        "dense": lambda: em.Sequential([em.Input((28, 28, 1)), em.layers.Flatten(),
                                        em.layers.Dense(64, activation="relu"),
                                        em.layers.Dense(10)]),
        "convnet": lambda: em.Sequential([
            em.Input((28, 28, 1)), em.layers.Conv2D(16, 3, activation="relu"),
            em.layers.MaxPooling2D(2), em.layers.Conv2D(32, 3, activation="relu"),
            em.layers.MaxPooling2D(2), em.layers.Flatten(), em.layers.Dense(10)]),
    }
    out = {}
    for name, make in nets.items():
        em.utils.set_random_seed(0)
        model = make()
        model.compile("adam", em.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y[:2000], epochs=2, batch_size=64, verbose=0)
        logits = model.predict(xt, verbose=0)
        pred = logits.argmax(1)
        gap = logits[np.arange(32), pred] - model.predict(
            np.zeros_like(xt), verbose=0)[np.arange(32), pred]
        big = np.abs(gap) > 1.0
        for method in ("gausslegendre", "riemann_middle", "riemann_trapezoid"):
            _, delta = em.explain.integrated_gradients(model, xt, pred, n_steps=64,
                                                       method=method,
                                                       return_convergence_delta=True)
            out[f"{name} completeness[{method}] max rel error"] = float(
                np.max(np.abs(delta[big]) / np.abs(gap[big])))
        em.utils.set_random_seed(123)
        fresh = make()
        fresh.build((None, 28, 28, 1))
        methods = {"|saliency|": lambda m, t: em.explain.saliency(m, xt, t),
                   "saliency": lambda m, t: em.explain.saliency(m, xt, t, abs=False),
                   "gradient_x_input": lambda m, t: em.explain.gradient_x_input(m, xt, t)}
        for label, fn in methods.items():
            out[f"{name} randomisation spearman {label}"] = float(
                _spearman(fn(model, pred), fn(fresh, pred)).mean())
    return out


def _spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ra = a.reshape(len(a), -1).argsort(1).argsort(1).astype(np.float64)
    rb = b.reshape(len(b), -1).argsort(1).argsort(1).astype(np.float64)
    ra -= ra.mean(1, keepdims=True)
    rb -= rb.mean(1, keepdims=True)
    return (ra * rb).sum(1) / np.sqrt((ra * ra).sum(1) * (rb * rb).sum(1))


def main() -> None:
    print("max |ember - captum| on a small random convnet:")
    for k, v in captum_differences().items():
        print(f"  {k:40s} {v:.2e}")
    print("MNIST networks:")
    for k, v in mnist_numbers().items():
        print(f"  {k:55s} {v:.4f}")


if __name__ == "__main__":
    main()
