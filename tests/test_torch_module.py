"""PyTorch's module conveniences on ember layers and models: parameters(), named_parameters(),
state_dict() / load_state_dict() with dotted keys, train() / eval(), zero_grad(), modules()."""

import numpy as np
import pytest

import ember as em

torch = pytest.importorskip("torch")


class Net(em.Model):
    def __init__(self):
        super().__init__()
        self.fc1 = em.layers.Dense(8, activation="relu")
        self.blocks = [em.layers.Dense(8), em.layers.BatchNormalization()]
        self.drop = em.layers.Dropout(0.5)
        self.out = em.layers.Dense(2)

    def call(self, x, training=None):
        h = self.fc1(x)
        for b in self.blocks:
            h = b(h)
        return self.out(self.drop(h))


def _built():
    net = Net()
    net(em.ones(4, 3))
    return net


def test_named_parameters_and_state_dict_use_dotted_structural_keys():
    net = _built()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc1.kernel", "fc1.bias", "blocks.0.kernel", "blocks.0.bias",
                     "blocks.1.gamma", "blocks.1.beta", "out.kernel", "out.bias"]
    assert [p is w for p, w in zip(net.parameters(), net.trainable_variables)] == [True] * 8
    keys = list(net.state_dict())
    assert keys[:6] == names[:6] and "blocks.1.moving_mean" in keys  # buffers included
    seq = em.Sequential([em.layers.Flatten(input_shape=(2, 2)), em.layers.Dense(3),
                         em.layers.Dense(1)])
    seq(em.ones(1, 2, 2))
    assert list(seq.state_dict()) == ["1.kernel", "1.bias", "2.kernel", "2.bias"]
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1", "2"]
    assert len(list(net.children())) == 5 and len(list(net.modules())) == 6


def test_state_dict_round_trip_between_two_models_and_from_torch_arrays():
    a, b = _built(), _built()
    x = em.randn(4, 3)
    assert not np.allclose(a(x).numpy(), b(x).numpy())
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_allclose(a(x).numpy(), b(x).numpy(), rtol=1e-6)
    state = {k: torch.tensor(v.numpy()) * 0 for k, v in a.state_dict().items()}
    b.load_state_dict(state)
    assert float(np.abs(b.out.kernel.numpy()).sum()) == 0.0
    with pytest.raises(KeyError, match=r"missing keys \['out.bias'\]"):
        b.load_state_dict({k: v for k, v in a.state_dict().items() if k != "out.bias"})
    partial = b.load_state_dict({"out.bias": np.ones(2), "extra": np.ones(1)}, strict=False)
    assert partial.unexpected_keys == ["extra"] and b.out.bias.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="fc1.bias has shape"):
        b.load_state_dict({**a.state_dict(), "fc1.bias": np.ones(3)})


def test_train_and_eval_set_the_mode_of_calls_without_training():
    net = _built()
    x = em.ones(64, 3)
    assert net.training is False
    a, b = net(x).numpy(), net(x).numpy()
    np.testing.assert_allclose(a, b)  # inference by default (Keras): dropout off
    assert net.train() is net and net.training and net.drop.training
    assert not np.allclose(net(x).numpy(), net(x).numpy())  # dropout on
    assert not np.allclose(net.blocks[1].moving_mean.numpy(), 0)  # batch statistics were used
    net.eval()
    np.testing.assert_allclose(net(x).numpy(), net(x).numpy())  # dropout off again
    assert net(x, training=True) is not None  # an explicit flag still wins


def test_zero_grad_and_requires_grad():
    net = _built()
    net(em.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(np.abs(p.grad.numpy()).sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.fc1.requires_grad_(False)
    assert [n for n, _ in net.named_parameters()][:2] == ["blocks.0.kernel", "blocks.0.bias"]
