"""PyTorch state_dicts into ember models: the torch versions of the MNIST networks (and layer
kinds one by one) give the same outputs to float32 tolerance."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import ember as em  # noqa: E402
from ember.interop import load_torch_state_dict  # noqa: E402

TOL = 2e-5


def _torch_out(module, x_nchw):
    module.eval()
    with torch.no_grad():
        return module(torch.from_numpy(x_nchw)).numpy()


def _randomize_bn(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.3)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.randn(m.num_features, generator=g))
            m.bias.data.copy_(torch.randn(m.num_features, generator=g))


def test_mnist_dense_network():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10),
                        nn.Softmax(dim=1))
    model = em.Sequential([em.layers.Flatten(input_shape=(28, 28)),
                           em.layers.Dense(128, activation="relu"),
                           em.layers.Dense(10, activation="softmax")])
    report = load_torch_state_dict(model, net.state_dict())
    x = np.random.default_rng(0).random((6, 28, 28), dtype=np.float32)
    assert np.abs(model.predict(x, verbose=0) - _torch_out(net, x)).max() < TOL
    assert report.assigned[0] == ("1.weight", "dense/kernel", "transposed")
    assert not report.missing and not report.unused


def test_mnist_convnet_with_batchnorm_permutes_the_dense_after_flatten(tmp_path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Dropout(0.5), nn.Linear(16 * 5 * 5, 10))
    _randomize_bn(net)
    model = em.Sequential([
        em.layers.Conv2D(8, 3, activation="relu", input_shape=(28, 28, 1)),
        em.layers.MaxPooling2D(2), em.layers.Conv2D(16, 3),
        em.layers.BatchNormalization(epsilon=1e-5), em.layers.Activation("relu"),
        em.layers.MaxPooling2D(2), em.layers.Flatten(), em.layers.Dropout(0.5),
        em.layers.Dense(10)])
    from safetensors.torch import save_file

    save_file(net.state_dict(), str(tmp_path / "net.safetensors"))
    report = load_torch_state_dict(model, str(tmp_path / "net.safetensors"))
    x = np.random.default_rng(1).random((4, 28, 28, 1), dtype=np.float32)
    want = _torch_out(net, x.transpose(0, 3, 1, 2).copy())
    assert np.abs(model.predict(x, verbose=0) - want).max() < 1e-4
    assert "rows permuted" in dict((k, h) for k, _, h in report.assigned)["9.weight"]
    assert report.ignored == ["4.num_batches_tracked"]
    torch.save(net.state_dict(), tmp_path / "net.pt")
    load_torch_state_dict(model, str(tmp_path / "net.pt"))
    assert np.abs(model.predict(x, verbose=0) - want).max() < 1e-4


class _TorchRNN(nn.Module):
    def __init__(self, kind, bidirectional=False):
        super().__init__()
        self.emb = nn.Embedding(20, 6)
        self.rnn = getattr(nn, kind)(6, 5, batch_first=True, bidirectional=bidirectional)


@pytest.mark.parametrize("kind,bidirectional", [("RNN", False), ("LSTM", False),
                                                ("GRU", False), ("LSTM", True),
                                                ("GRU", True)])
def test_recurrent_networks(kind, bidirectional):
    torch.manual_seed(0)
    net = _TorchRNN(kind, bidirectional)
    ember_kind = {"RNN": "SimpleRNN"}.get(kind, kind)
    rnn = getattr(em.layers, ember_kind)(5, return_sequences=True)
    if bidirectional:
        rnn = em.layers.Bidirectional(rnn)
    tokens = em.Input((7,), dtype="int64")
    seq = em.Model(tokens, rnn(em.layers.Embedding(20, 6)(tokens)))
    load_torch_state_dict(seq, {k: v for k, v in net.state_dict().items()
                                if k.startswith(("emb.", "rnn."))})
    x = np.random.default_rng(2).integers(0, 20, (4, 7))
    with torch.no_grad():
        want, _ = net.rnn(net.emb(torch.from_numpy(x)))
    assert np.abs(seq.predict(x, verbose=0) - want.numpy()).max() < TOL


def test_mismatches_are_named_and_change_nothing():
    model = em.Sequential([em.Input((4,)), em.layers.Dense(3), em.layers.Dense(2)])
    before = [w.numpy().copy() for w in model.weights]
    net = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 5))
    with pytest.raises(ValueError, match=r"'1.weight' gives shape \(3, 5\) for 'dense_\d+/"):
        load_torch_state_dict(model, net.state_dict())
    assert all((b == w.numpy()).all() for b, w in zip(before, model.weights))
    short = nn.Sequential(nn.Linear(4, 3))
    with pytest.raises(ValueError, match=r"missing \['dense_\d+/kernel'"):
        load_torch_state_dict(model, short.state_dict())
    report = load_torch_state_dict(model, short.state_dict(), strict=False)
    assert len(report.missing) == 2 and len(report.assigned) == 2
    conv = nn.Sequential(nn.Conv2d(1, 3, 3))
    with pytest.raises(ValueError, match=r"module '0' holds \['bias', 'weight'\]"):
        load_torch_state_dict(em.Sequential([em.Input((4, 2)), em.layers.LSTM(3)]),
                              conv.state_dict())
