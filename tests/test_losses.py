"""Losses (regression, distribution and hinge ones), reductions, sample weights, masks, names
and errors. Cross-entropies are in test_losses_crossentropy.py."""

import numpy as np
import pytest

import ember as em
from ember import losses as L
from oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _pair(shape=(4, 5), low=-2.0, high=2.0, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, size=shape), rng.uniform(low, high, size=shape)]


def _signs(shape=(4, 5), seed=1):
    rng = np.random.default_rng(seed)
    t = rng.choice([-1.0, 1.0], size=shape)
    p = rng.uniform(-2, 2, size=shape)
    p[np.abs(np.abs(p) - 1) < 0.1] = 1.5  # keep 1 - t * p away from the hinge's kink
    return [t, p]


def _one_hot_pair(shape=(4, 5), seed=2):
    rng = np.random.default_rng(seed)
    t = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[0])]
    return [t, rng.uniform(-2, 2, size=shape)]


REGRESSION = {
    "mse": (L.mean_squared_error, lambda t, p: TF.mse_loss(p, t, reduction="none").mean(-1),
            _pair()),
    "mae": (L.mean_absolute_error, lambda t, p: TF.l1_loss(p, t, reduction="none").mean(-1),
            _pair()),
    "huber": (lambda t, p: L.huber(t, p, delta=0.7),
              lambda t, p: TF.huber_loss(p, t, reduction="none", delta=0.7).mean(-1), _pair()),
    "log_cosh": (L.log_cosh, lambda t, p: torch.log(torch.cosh(p - t)).mean(-1), _pair()),
    "mape": (L.mean_absolute_percentage_error,
             lambda t, p: 100 * ((t - p) / t.abs().clamp_min(1e-7)).abs().mean(-1),
             _pair(low=0.5, high=3.0)),
    "msle": (L.mean_squared_logarithmic_error,
             lambda t, p: (torch.log1p(p) - torch.log1p(t)).square().mean(-1),
             _pair(low=0.1, high=3.0)),
    "kl_divergence": (L.kl_divergence,
                      lambda t, p: TF.kl_div(p.log(), t, reduction="none").sum(-1),
                      _pair(low=0.05, high=0.95)),
    "poisson": (L.poisson, lambda t, p: TF.poisson_nll_loss(
        p, t, log_input=False, full=False, eps=1e-7, reduction="none").mean(-1),
        _pair(low=0.2, high=3.0)),
    "cosine_similarity": (L.cosine_similarity, lambda t, p: -TF.cosine_similarity(t, p, dim=-1),
                          _pair()),
    "hinge": (L.hinge, lambda t, p: torch.relu(1 - t * p).mean(-1), _signs()),
    "squared_hinge": (L.squared_hinge, lambda t, p: torch.relu(1 - t * p).square().mean(-1),
                      _signs()),
    "categorical_hinge": (L.categorical_hinge, lambda t, p: torch.relu(
        ((1 - t) * p).max(-1).values - (t * p).sum(-1) + 1), _one_hot_pair()),
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
def test_loss_matches_torch_and_finite_differences(name):
    fn, tfn, inputs = REGRESSION[name]
    check_op(fn, torch_fn=tfn, inputs=inputs, differentiable=[1])


def test_hinge_converts_zero_one_labels():
    p = em.tensor([[0.3, -0.8, 2.0]])
    np.testing.assert_allclose(L.hinge([[1.0, 0.0, 0.0]], p).numpy(),
                               L.hinge([[1.0, -1.0, -1.0]], p).numpy())


def test_cosine_similarity_sign_convention_and_zero_vector():
    out = L.cosine_similarity([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]],
                              em.tensor([[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0], [1.0, 2.0]]))
    np.testing.assert_allclose(out.numpy(), [0.0, -1.0, 1.0, 0.0], atol=1e-6)


def test_keras_docstring_values():
    t, p = [[0.0, 1.0], [0.0, 0.0]], em.tensor([[0.6, 0.4], [0.4, 0.6]])
    assert round(L.Huber()(t, p).item(), 3) == 0.155
    assert round(L.LogCosh()([[0.0, 1.0], [0.0, 0.0]],
                             em.tensor([[1.0, 1.0], [0.0, 0.0]])).item(), 3) == 0.108


def test_trailing_axis_of_one_is_aligned_as_keras():
    p = em.tensor([[1.0], [2.0], [4.0]], requires_grad=True)
    out = L.mean_squared_error(np.array([0.0, 0.0, 0.0]), p)  # (3,) labels vs (3, 1) outputs
    assert out.shape == (3,)
    np.testing.assert_allclose(out.numpy(), [1.0, 4.0, 16.0])
    assert L.MeanSquaredError()(np.zeros((3, 1)), em.tensor([1.0, 2.0, 4.0])).item() == 7.0


def test_dtypes_follow_the_prediction():
    p = em.tensor([[0.5, 1.5]])
    assert L.mean_squared_error(np.array([[1.0, 2.0]]), p).dtype == np.float32  # float64 labels
    assert L.mean_squared_error([[1, 2]], p).dtype == np.float32  # int labels
    assert L.mean_squared_error(np.zeros((1, 2)), np.ones((1, 2))).dtype == np.float64


# ------------------------------------------------------------------ reductions and weights
V = np.array([1.0, 4.0, 9.0, 16.0])  # per-sample MSE of predictions 1..4 against 0


def _mse(reduction="sum_over_batch_size", **kw):
    return L.MeanSquaredError(reduction=reduction)(
        np.zeros((4, 1)), em.tensor([[1.0], [2.0], [3.0], [4.0]]), **kw)


def test_reductions():
    assert _mse().item() == V.mean() == _mse("mean").item()
    assert _mse("sum").item() == V.sum()
    np.testing.assert_array_equal(_mse("none").numpy(), V)
    np.testing.assert_array_equal(_mse(None).numpy(), V)
    with pytest.raises(ValueError, match="reduction must be one of"):
        L.MeanSquaredError(reduction="average")


@pytest.mark.parametrize("sw", [np.array([1.0, 0.0, 2.0, 0.5]), np.array([[1.0], [0.0], [2.0],
                                                                          [0.5]])])
def test_sample_weight(sw):
    w = sw.reshape(-1)
    np.testing.assert_allclose(_mse(sample_weight=sw).item(), (V * w).sum() / 4)
    np.testing.assert_allclose(_mse("sum", sample_weight=sw).item(), (V * w).sum())
    np.testing.assert_allclose(_mse("mean_with_sample_weight", sample_weight=sw).item(),
                               (V * w).sum() / w.sum())
    np.testing.assert_allclose(_mse("none", sample_weight=sw).numpy(), V * w)
    np.testing.assert_allclose(_mse(sample_weight=em.tensor(w)).item(), (V * w).sum() / 4)
    np.testing.assert_allclose(_mse(sample_weight=2.0).item(), 2 * V.mean())


def test_sample_weight_per_sample_for_sequence_losses_and_mismatch_error():
    t, p = np.zeros((2, 3, 4)), em.ones(2, 3, 4)  # per-sample losses of shape (2, 3)
    out = L.MeanSquaredError()(t, p, sample_weight=np.array([1.0, 0.0]))
    assert out.item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"mean_squared_error: sample_weight of shape \(3,"):
        L.MeanSquaredError()(t, p, sample_weight=np.ones(3))


def test_weighted_loss_gradient_matches_torch():
    rng = np.random.default_rng(5)
    t, p, sw = rng.standard_normal((6, 3)), rng.standard_normal((6, 3)), rng.uniform(size=6)
    x = em.tensor(p.astype(np.float32), requires_grad=True)
    L.MeanSquaredError()(t, x, sample_weight=sw).backward()
    tx = torch.tensor(p, requires_grad=True)
    ((tx - torch.tensor(t)) ** 2).mean(-1).mul(torch.tensor(sw)).mean().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_prediction_mask_leaves_masked_steps_out_of_the_mean():
    p = em.tensor([[[1.0], [2.0], [3.0]]])  # one sequence of 3 steps, per-step loss p ** 2
    p._mask = np.array([[True, True, False]])
    assert L.MeanSquaredError()(np.zeros((1, 3, 1)), p).item() == pytest.approx(2.5)
    assert L.MeanSquaredError(reduction="sum")(np.zeros((1, 3, 1)), p).item() == 5.0


def test_empty_batch_gives_zero():
    assert L.MeanSquaredError()(np.zeros((0, 2)), em.zeros(0, 2)).item() == 0.0


# ------------------------------------------------------------------ names, objects, saving
@pytest.mark.parametrize("name,cls", [
    ("mse", L.MeanSquaredError), ("MSE", L.MeanSquaredError),
    ("mean_squared_error", L.MeanSquaredError), ("MeanSquaredError", L.MeanSquaredError),
    ("mae", L.MeanAbsoluteError), ("mape", L.MeanAbsolutePercentageError),
    ("msle", L.MeanSquaredLogarithmicError), ("huber", L.Huber), ("huber_loss", L.Huber),
    ("log_cosh", L.LogCosh), ("logcosh", L.LogCosh), ("kld", L.KLDivergence),
    ("kl_divergence", L.KLDivergence), ("poisson", L.Poisson), ("hinge", L.Hinge),
    ("squared_hinge", L.SquaredHinge), ("categorical_hinge", L.CategoricalHinge),
    ("cosine_similarity", L.CosineSimilarity), ("bce", L.BinaryCrossentropy),
    ("binary_crossentropy", L.BinaryCrossentropy),
    ("categorical_crossentropy", L.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", L.SparseCategoricalCrossentropy),
])
def test_get_by_name(name, cls):
    loss = L.get(name)
    assert type(loss) is cls
    assert L.get(loss) is loss


@pytest.mark.parametrize("loss", [
    L.MeanSquaredError(reduction="sum"), L.Huber(delta=2.5, name="h"),
    L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    L.CategoricalCrossentropy(label_smoothing=0.2, axis=1),
    L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
    L.CosineSimilarity(axis=0), L.KLDivergence(reduction=None),
])
def test_serialize_round_trip(loss):
    cfg = L.serialize(loss)
    assert cfg["class_name"] == type(loss).__name__
    again = L.deserialize(cfg)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()


def test_get_wraps_functions_and_classes():
    assert type(L.get(L.mean_squared_error)) is L.MeanSquaredError
    assert type(L.get(L.Huber)) is L.Huber
    assert L.get(None) is None

    def cube(y_true, y_pred):
        return ((y_pred - y_true) ** 3).mean(axis=-1)

    wrapped = L.get(cube)
    assert isinstance(wrapped, L.LossFunctionWrapper) and wrapped.name == "cube"
    assert wrapped(np.zeros(4), em.tensor([[1.0], [2.0], [0.0], [1.0]])).item() == 2.5


def test_registered_user_loss_round_trips():
    @em.serialization.register_serializable(package="test_losses")
    def quartic(y_true, y_pred, power=4):
        return ((y_pred - y_true) ** power).mean(axis=-1)

    loss = L.LossFunctionWrapper(quartic, power=2, reduction="sum")
    cfg = L.serialize(loss)
    assert cfg["config"]["fn"] == "test_losses>quartic"
    again = L.deserialize(cfg)
    assert again(np.zeros((2, 1)), em.tensor([[1.0], [3.0]])).item() == 10.0


def test_subclassing_loss():
    class Scaled(L.Loss):
        def call(self, y_true, y_pred):
            return (y_pred * 3).mean(axis=-1)

    loss = Scaled(reduction="sum")
    assert loss.name == "scaled"
    assert loss(None, em.ones(2, 2)).item() == 6.0


def test_name_errors_are_clear():
    with pytest.raises(ValueError, match="Did you mean 'mse'.*Valid names:.*huber"):
        L.get("msee")
    with pytest.raises(TypeError, match="loss must be"):
        L.get(3)


def test_shape_mismatch_names_the_loss_and_both_shapes():
    with pytest.raises(ValueError, match=r"mean_absolute_error: y_true has shape \(4, 3\) but "
                                         r"y_pred has shape \(4, 2\)"):
        L.MeanAbsoluteError()(np.zeros((4, 3)), em.zeros(4, 2))
    with pytest.raises(ValueError, match=r"huber: y_true has shape \(3,\)"):
        L.huber(np.zeros(3), em.zeros(4, 3))
    with pytest.raises(ValueError, match="delta must be"):
        L.huber(np.zeros(3), em.zeros(3), delta=-1.0)
