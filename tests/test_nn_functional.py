"""em.nn.functional against torch.nn.functional: values and gradients (check_op), with the
layouts converted where ember is channels-last (images NHWC, PyTorch's weights as given)."""

import numpy as np
import pytest

import ember as em
import ember.nn.functional as F
from oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional

LABELS = np.array([2, 0, 1, 2])


def nchw(t):
    return t.permute(0, 3, 1, 2)


def nhwc(t):
    return t.permute(0, 2, 3, 1)


CASES = [
    ("relu", [(3, 4)], lambda f: lambda x: f.relu(x), {"away_from": 0.0}),
    ("leaky_relu", [(3, 4)], lambda f: lambda x: f.leaky_relu(x), {"away_from": 0.0}),
    ("leaky_relu_slope", [(3, 4)], lambda f: lambda x: f.leaky_relu(x, 0.3), {"away_from": 0.0}),
    ("elu", [(3, 4)], lambda f: lambda x: f.elu(x, alpha=0.5), {"away_from": 0.0}),
    ("selu", [(3, 4)], lambda f: lambda x: f.selu(x), {"away_from": 0.0}),
    ("gelu", [(3, 4)], lambda f: lambda x: f.gelu(x), {}),
    ("gelu_tanh", [(3, 4)], lambda f: lambda x: f.gelu(x, approximate="tanh"), {}),
    ("silu", [(3, 4)], lambda f: lambda x: f.silu(x), {}),
    ("softplus", [(3, 4)], lambda f: lambda x: f.softplus(x, beta=2.0, threshold=3.0), {}),
    ("relu6", [(3, 4)], lambda f: lambda x: f.relu6(x * 4), {"away_from": 0.0}),
    ("softmax", [(3, 4)], lambda f: lambda x: f.softmax(x, dim=0), {}),
    ("log_softmax", [(3, 4)], lambda f: lambda x: f.log_softmax(x, dim=-1), {}),
    ("linear", [(4, 3), (5, 3), (5,)], lambda f: lambda x, w, b: f.linear(x, w, b), {}),
    ("linear_no_bias", [(2, 4, 3), (5, 3)], lambda f: lambda x, w: f.linear(x, w), {}),
    ("bilinear", [(4, 3), (4, 2), (5, 3, 2), (5,)],
     lambda f: lambda a, b, w, c: f.bilinear(a, b, w, c), {}),
    ("mse_loss", [(4, 3), (4, 3)], lambda f: lambda x, y: f.mse_loss(x, y), {}),
    ("mse_loss_sum", [(4, 3), (4, 3)], lambda f: lambda x, y: f.mse_loss(x, y, reduction="sum"),
     {}),
    ("l1_loss", [(4, 3), (4, 3)], lambda f: lambda x, y: f.l1_loss(x, y, reduction="none"),
     {}),
    ("smooth_l1", [(4, 3), (4, 3)], lambda f: lambda x, y: f.smooth_l1_loss(x, y, beta=0.5), {}),
    ("huber", [(4, 3), (4, 3)], lambda f: lambda x, y: f.huber_loss(x, y, delta=0.7), {}),
    ("bce_logits", [(4, 3), (4, 3)],
     lambda f: lambda x, t: f.binary_cross_entropy_with_logits(x, t.sigmoid()), {}),
    ("bce_logits_pos_weight", [(4, 3), (4, 3), (3,)],
     lambda f: lambda x, t, w: f.binary_cross_entropy_with_logits(
         x, t.sigmoid(), pos_weight=w.abs() + 0.5), {"differentiable": [0, 1]}),
    ("bce", [(4, 3), (4, 3)],
     lambda f: lambda x, t: f.binary_cross_entropy(x.sigmoid(), t.sigmoid()), {}),
    ("kl_div", [(4, 3), (4, 3)],
     lambda f: lambda x, t: f.kl_div(f.log_softmax(x, -1), f.softmax(t, -1),
                                     reduction="batchmean"), {}),
    ("layer_norm", [(4, 6), (6,), (6,)],
     lambda f: lambda x, w, b: f.layer_norm(x, (6,), w, b), {}),
    ("layer_norm_2d", [(2, 3, 4)], lambda f: lambda x: f.layer_norm(x, (3, 4)), {}),
    ("normalize", [(4, 3)], lambda f: lambda x: f.normalize(x, dim=1), {}),
    ("pad", [(2, 3, 4)], lambda f: lambda x: f.pad(x, (1, 2, 0, 1)), {}),
    ("pad_value", [(2, 3)], lambda f: lambda x: f.pad(x, (2, 0), value=1.5), {}),
]


@pytest.mark.parametrize("name, shapes, make, kw", CASES, ids=[c[0] for c in CASES])
def test_same_function_as_torch(name, shapes, make, kw):
    check_op(make(F), shapes, torch_fn=make(TF), **kw)


def test_cross_entropy_with_indices_probabilities_weights_and_ignore_index():
    idx = np.array([2, 0, 1, 2])
    check_op(lambda x: F.cross_entropy(x, em.tensor(idx)), [(4, 3)],
             torch_fn=lambda x: TF.cross_entropy(x, torch.tensor(idx)))
    check_op(lambda x: F.cross_entropy(x, em.tensor(idx), label_smoothing=0.1,
                                       reduction="none"), [(4, 3)],
             torch_fn=lambda x: TF.cross_entropy(x, torch.tensor(idx), label_smoothing=0.1,
                                                 reduction="none"))
    w = np.array([0.5, 2.0, 1.0])
    ign = np.array([2, -100, 1, 0])
    check_op(lambda x: F.cross_entropy(x, em.tensor(ign), weight=em.tensor(w)), [(4, 3)],
             torch_fn=lambda x: TF.cross_entropy(x, torch.tensor(ign),
                                                 weight=torch.tensor(w, dtype=torch.float32)))
    check_op(lambda x, t: F.cross_entropy(x, F.softmax(t, -1)), [(4, 3), (4, 3)],
             torch_fn=lambda x, t: TF.cross_entropy(x, TF.softmax(t, -1)))
    check_op(lambda x: F.nll_loss(F.log_softmax(x, -1), em.tensor(ign), reduction="sum"),
             [(4, 3)], torch_fn=lambda x: TF.nll_loss(TF.log_softmax(x, -1), torch.tensor(ign),
                                                      reduction="sum"))


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (1, "same", 1),
                                                       (1, (1, 2), 2)])
def test_conv2d_channels_last_with_a_pytorch_weight(stride, padding, dilation):
    check_op(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation),
             [(2, 6, 7, 3), (4, 3, 3, 2), (4,)],
             torch_fn=lambda x, w, b: nhwc(TF.conv2d(nchw(x), w, b, stride, padding, dilation)),
             atol=1e-4)


def test_conv1d_channels_last_with_a_pytorch_weight():
    check_op(lambda x, w: F.conv1d(x, w, stride=2, padding=1), [(2, 9, 3), (4, 3, 3)],
             torch_fn=lambda x, w: TF.conv1d(x.permute(0, 2, 1), w, stride=2,
                                             padding=1).permute(0, 2, 1), atol=1e-4)


@pytest.mark.parametrize("k, s, p", [(2, None, 0), (3, 2, 1), ((2, 3), 1, 0)])
def test_pools_channels_last(k, s, p):
    check_op(lambda x: F.max_pool2d(x, k, s, p), [(2, 7, 6, 3)],
             torch_fn=lambda x: nhwc(TF.max_pool2d(nchw(x), k, s, p)))
    check_op(lambda x: F.avg_pool2d(x, k, s, p), [(2, 7, 6, 3)],
             torch_fn=lambda x: nhwc(TF.avg_pool2d(nchw(x), k, s, p)))
    check_op(lambda x: F.max_pool1d(x, 3, 2, 1), [(2, 9, 3)],
             torch_fn=lambda x: TF.max_pool1d(x.permute(0, 2, 1), 3, 2, 1).permute(0, 2, 1))
    check_op(lambda x: F.adaptive_avg_pool2d(x, 1), [(2, 4, 5, 3)],
             torch_fn=lambda x: nhwc(TF.adaptive_avg_pool2d(nchw(x), 1)))


def test_batch_norm_training_updates_running_stats_as_pytorch():
    x = np.random.default_rng(0).standard_normal((6, 4, 3)).astype(np.float32)
    rm, rv = em.zeros(3), em.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    w, b = em.tensor([1.0, 2.0, 0.5]), em.tensor([0.0, 1.0, -1.0])
    out = F.batch_norm(em.tensor(x), rm, rv, w, b, training=True, momentum=0.2)
    tout = TF.batch_norm(torch.tensor(x).permute(0, 2, 1), trm, trv, torch.tensor(w.numpy()),
                         torch.tensor(b.numpy()), training=True, momentum=0.2)
    np.testing.assert_allclose(out.numpy(), tout.permute(0, 2, 1).numpy(), atol=1e-4)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), atol=1e-5)
    check_op(lambda x, m, v: F.batch_norm(x, m, v.abs() + 0.5), [(5, 3), (3,), (3,)],
             torch_fn=lambda x, m, v: TF.batch_norm(x, m, v.abs() + 0.5), differentiable=[0])


def test_embedding_dropout_one_hot():
    table = np.random.default_rng(1).standard_normal((5, 3))
    idx = np.array([[0, 4], [2, 0]])
    check_op(lambda w: F.embedding(em.tensor(idx), w), inputs=[table],
             torch_fn=lambda w: TF.embedding(torch.tensor(idx), w))
    # the padding row gets no gradient by definition (not a derivative): PyTorch only, no FD
    check_op(lambda w: F.embedding(em.tensor(idx), w, padding_idx=0), inputs=[table],
             torch_fn=lambda w: TF.embedding(torch.tensor(idx), w, padding_idx=0), fd=False)
    x = em.ones(1000)
    assert F.dropout(x, 0.5, training=False) is x
    kept = F.dropout(x, 0.3).numpy()
    assert set(np.unique(kept)) <= {0.0, np.float32(1 / 0.7)} and 0.6 < (kept > 0).mean() < 0.8
    hot = F.one_hot(em.tensor(LABELS))
    assert hot.dtype == np.int64 and hot.tolist() == TF.one_hot(torch.tensor(LABELS)).tolist()


def test_a_pytorch_style_step_with_functional_calls_reads_as_pytorch():
    em.manual_seed(0)
    w = em.randn(4, 3, requires_grad=True)  # (out, in), as torch.nn.Linear stores it
    b = em.zeros(4, requires_grad=True)
    x, y = em.randn(8, 3), em.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    opt = em.optimizers.SGD([w, b], lr=0.5)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.cross_entropy(F.linear(x, w, b), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_bad_arguments_name_the_function():
    with pytest.raises(ValueError, match="linear: input has 2 features"):
        F.linear(em.ones(3, 2), em.ones(4, 3))
    with pytest.raises(ValueError, match="conv2d: groups=2 is not supported"):
        F.conv2d(em.ones(1, 4, 4, 2), em.ones(2, 1, 3, 3), groups=2)
    with pytest.raises(ValueError, match="binary_cross_entropy: input must hold"):
        F.binary_cross_entropy(em.tensor([1.5]), em.tensor([1.0]))
    with pytest.raises(ValueError, match="reduction must be"):
        F.mse_loss(em.ones(2), em.ones(2), reduction="avg")
