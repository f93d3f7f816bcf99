"""Cross-entropy losses against PyTorch and finite differences: from logits, from a softmax or
sigmoid output (the fused path), from plain probabilities (clipped), label smoothing, sparse
labels, ignore_class, extreme inputs, and the errors beginners hit."""

import warnings

import numpy as np
import pytest

import ember as em
from ember import losses as L
from oracle import check_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(0)
Z = RNG.uniform(-3, 3, size=(5, 4))                  # logits
P = RNG.uniform(0.05, 0.95, size=(5, 4))             # probabilities
T01 = RNG.integers(0, 2, size=(5, 4)).astype(float)  # binary targets
SOFT = RNG.uniform(0, 1, size=(5, 4))                # soft binary targets
LABELS = np.array([0, 3, 1, 2, 3])
ONE_HOT = np.eye(4)[LABELS]
SOFT_CAT = RNG.dirichlet(np.ones(4), size=5)


def _bce_torch(t, p):
    return TF.binary_cross_entropy(p, t, reduction="none").mean(-1)


def _bce_logits_torch(t, z):
    return TF.binary_cross_entropy_with_logits(z, t, reduction="none").mean(-1)


def _ce_torch(t, z, **kw):
    return TF.cross_entropy(z, t, reduction="none", **kw)


CASES = {
    "bce_logits": (lambda t, z: L.binary_crossentropy(t, z, from_logits=True),
                   _bce_logits_torch, [T01, Z]),
    "bce_logits_soft": (lambda t, z: L.binary_crossentropy(t, z, from_logits=True),
                        _bce_logits_torch, [SOFT, Z]),
    "bce_probabilities": (L.binary_crossentropy, _bce_torch, [SOFT, P]),
    "bce_sigmoid_output": (lambda t, z: L.binary_crossentropy(t, em.sigmoid(z)),
                           lambda t, z: _bce_torch(t, torch.sigmoid(z)), [T01, Z]),
    "bce_smoothing": (lambda t, z: L.binary_crossentropy(t, z, True, label_smoothing=0.2),
                      lambda t, z: _bce_logits_torch(t * 0.8 + 0.1, z), [T01, Z]),
    "cce_logits": (lambda t, z: L.categorical_crossentropy(t, z, from_logits=True),
                   _ce_torch, [SOFT_CAT, Z]),
    "cce_softmax_output": (lambda t, z: L.categorical_crossentropy(t, em.softmax(z)),
                           _ce_torch, [ONE_HOT, Z]),
    "cce_smoothing_logits": (
        lambda t, z: L.categorical_crossentropy(t, z, True, label_smoothing=0.1),
        lambda t, z: _ce_torch(t, z, label_smoothing=0.1), [ONE_HOT, Z]),
    "cce_smoothing_softmax": (
        lambda t, z: L.categorical_crossentropy(t, em.softmax(z), label_smoothing=0.3),
        lambda t, z: _ce_torch(t, z, label_smoothing=0.3), [ONE_HOT, Z]),
    "cce_probabilities": (L.categorical_crossentropy,
                          lambda t, p: -(t * torch.log(p / p.sum(-1, keepdims=True))).sum(-1),
                          [SOFT_CAT, P]),
    "scce_logits": (lambda y, z: L.sparse_categorical_crossentropy(y, z, from_logits=True),
                    lambda y, z: _ce_torch(y.long(), z), [LABELS.astype(float), Z]),
    "scce_softmax_output": (lambda y, z: L.sparse_categorical_crossentropy(y, em.softmax(z)),
                            lambda y, z: _ce_torch(y.long(), z), [LABELS.astype(float), Z]),
    "scce_probabilities": (
        L.sparse_categorical_crossentropy,
        lambda y, p: -torch.log(p / p.sum(-1, keepdims=True)).gather(1, y.long()[:, None])[:, 0],
        [LABELS.astype(float), P]),
    "scce_column_labels": (
        lambda y, z: L.sparse_categorical_crossentropy(y, em.softmax(z)),
        lambda y, z: _ce_torch(y.long()[:, 0], z), [LABELS[:, None].astype(float), Z]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_crossentropy_matches_torch_and_finite_differences(name):
    fn, tfn, inputs = CASES[name]
    check_op(fn, torch_fn=tfn, inputs=inputs, differentiable=[1])


def test_sequence_labels_and_classes_axis():
    z = RNG.uniform(-3, 3, size=(2, 3, 4))  # (batch, time, classes)
    y = RNG.integers(0, 4, size=(2, 3)).astype(float)
    check_op(lambda y, z: L.sparse_categorical_crossentropy(y, z, from_logits=True),
             torch_fn=lambda y, z: _ce_torch(y.long(), z.permute(0, 2, 1)), inputs=[y, z],
             differentiable=[1])
    t = em.tensor(ONE_HOT.astype(np.float32))
    for from_logits, x in ((True, em.tensor(Z.astype(np.float32))),
                           (False, em.tensor(P.astype(np.float32)))):
        along_rows = L.categorical_crossentropy(t, x, from_logits)
        along_cols = L.categorical_crossentropy(t.T, x.T, from_logits, axis=0)
        np.testing.assert_allclose(along_rows.numpy(), along_cols.numpy(), rtol=1e-6)


def test_sparse_label_forms_agree():
    p = em.softmax(em.tensor(Z.astype(np.float32)))
    ref = L.sparse_categorical_crossentropy(LABELS, p).numpy()
    for labels in (LABELS[:, None], LABELS.astype(np.float32), LABELS.astype(np.int32),
                   em.tensor(LABELS), em.tensor(LABELS.astype(np.float32)[:, None])):
        np.testing.assert_allclose(L.sparse_categorical_crossentropy(labels, p).numpy(), ref)
    np.testing.assert_allclose(L.categorical_crossentropy(ONE_HOT, p).numpy(), ref, rtol=1e-6)


def test_ignore_class_matches_torch_ignore_index():
    y = np.array([0, -1, 2, 1, -1])
    z = Z.astype(np.float32)
    x = em.tensor(z, requires_grad=True)
    loss = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(y, x)
    loss.backward()
    tx = torch.tensor(z, requires_grad=True)
    tloss = TF.cross_entropy(tx, torch.tensor(y), ignore_index=-1)
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)
    per_sample = L.sparse_categorical_crossentropy(y, em.softmax(x), ignore_class=-1)
    assert per_sample.numpy()[1] == 0.0 and per_sample.numpy()[4] == 0.0


def test_sparse_fast_path_equals_general_path():
    x = em.softmax(em.tensor(Z.astype(np.float32)))
    fast = L.SparseCategoricalCrossentropy()(LABELS, x)
    general = L.SparseCategoricalCrossentropy()(LABELS, x, sample_weight=np.ones(5))
    assert fast.item() == pytest.approx(general.item(), rel=1e-6)
    assert fast.item() == pytest.approx(_ce_torch(torch.tensor(LABELS),
                                                  torch.tensor(Z)).mean().item(), rel=1e-5)


# ------------------------------------------------------------------ extreme inputs
def _finite_loss_and_grad(make_loss, x):
    x = em.tensor(np.asarray(x, dtype=np.float32), requires_grad=True)
    loss = make_loss(x)
    loss.backward()
    assert np.isfinite(loss.item())
    assert np.isfinite(x.grad.numpy()).all()
    return loss.item()


BIG = [[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]]


def _output_model(activation: str, loss: str) -> em.Model:
    """A model whose output is ``activation`` of its input (the input plays the logits)."""
    model = em.Sequential([em.layers.Input(shape=(3,)), em.layers.Activation(activation)])
    model.compile(optimizer="sgd", loss=loss)
    return model


def test_confident_wrong_softmax_output_gives_large_finite_loss():
    """compile pairs the softmax (sigmoid) output with the cross-entropy: the loss comes from
    the logits, large and finite, with a finite gradient."""
    x = em.tensor(np.asarray(BIG, np.float32), requires_grad=True)
    for activation, loss, y, expected in (
            ("softmax", "sparse_categorical_crossentropy", np.array([1, 0]), 2e4),
            ("softmax", "categorical_crossentropy", np.eye(3, dtype=np.float32)[[1, 0]], 2e4),
            ("sigmoid", "binary_crossentropy", (np.array(BIG) < 0).astype(np.float32), None)):
        x.grad = None
        value, _ = _output_model(activation, loss)._trainer._forward_loss([x], [y], None,
                                                                          training=True)
        value.backward()
        assert np.isfinite(value.item()) and np.isfinite(x.grad.numpy()).all()
        if expected is None:
            assert value.item() > 1e3
        else:
            assert value.item() == pytest.approx(expected, rel=1e-6)
    # on plain probabilities the loss clips them (Keras' value), and stays finite too
    val = _finite_loss_and_grad(
        lambda z: L.SparseCategoricalCrossentropy()([1, 0], em.softmax(z)), BIG)
    assert val == pytest.approx(-np.log(1e-7), rel=1e-4)
    _finite_loss_and_grad(lambda z: L.SparseCategoricalCrossentropy(from_logits=True)([1, 0], z),
                          BIG)
    _finite_loss_and_grad(lambda z: L.BinaryCrossentropy(from_logits=True)(
        np.array(BIG) < 0, z), BIG)


def test_softmax_logits_are_used_without_a_graph_too():
    """evaluate runs without a graph: the compiled pair still gives the loss from logits."""
    model = _output_model("softmax", "sparse_categorical_crossentropy")
    logs = model.evaluate(np.asarray(BIG, np.float32), np.array([1, 0]), verbose=0,
                          return_dict=True)
    assert logs["loss"] == pytest.approx(2e4, rel=1e-6)
    probs = model.predict(np.asarray(BIG, np.float32), verbose=0)  # predict: probabilities
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-6)


def test_softmax_output_is_not_taken_for_a_sigmoid_output():
    z = em.tensor([[0.5, -0.2], [2.0, 1.0]], requires_grad=True)
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    probs = em.softmax(z).detach()
    expected = L.binary_crossentropy(t, probs).numpy()  # a plain tensor: the clipped formula
    np.testing.assert_allclose(L.binary_crossentropy(t, em.softmax(z)).numpy(), expected,
                               rtol=1e-6)
    with em.no_grad():
        np.testing.assert_allclose(L.binary_crossentropy(t, em.softmax(z)).numpy(), expected,
                                   rtol=1e-6)


@pytest.mark.parametrize("make_loss", [
    lambda p: L.BinaryCrossentropy()(np.array([[1.0, 0.0, 1.0, 0.0]]), p),
    lambda p: L.CategoricalCrossentropy()(np.array([[0.0, 0.0, 1.0, 0.0]]), p),
    lambda p: L.SparseCategoricalCrossentropy()([1], p),
    lambda p: L.KLDivergence()(np.array([[0.0, 1.0, 0.0, 0.0]]), p),
    lambda p: L.Poisson()(np.array([[0.0, 1.0, 3.0, 0.0]]), p),
    lambda p: L.MeanSquaredLogarithmicError()(np.array([[0.0, 1.0, 3.0, 0.0]]), p),
], ids=["bce", "cce", "scce", "kld", "poisson", "msle"])
def test_probabilities_of_exactly_zero_and_one_stay_finite(make_loss):
    _finite_loss_and_grad(make_loss, [[0.0, 0.0, 1.0, 0.0]])
    _finite_loss_and_grad(make_loss, [[1.0, 0.0, 0.0, 0.0]])


# ------------------------------------------------------------------ beginner mistakes
def test_shape_errors_name_the_loss_and_suggest_the_right_one():
    p = em.softmax(em.zeros(4, 3))
    with pytest.raises(ValueError, match=r"categorical_crossentropy: y_true has shape \(4,\).*"
                                         "use sparse_categorical_crossentropy"):
        L.CategoricalCrossentropy()(np.array([0, 1, 2, 1]), p)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: y_true has shape "
                                         r"\(4, 3\).*use categorical_crossentropy"):
        L.SparseCategoricalCrossentropy()(np.eye(3)[[0, 1, 2, 1]], p)
    with pytest.raises(ValueError, match=r"binary_crossentropy: y_true has shape \(4, 2\) but "
                                         r"y_pred has shape \(4, 3\)"):
        L.BinaryCrossentropy()(np.zeros((4, 2)), p)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        L.SparseCategoricalCrossentropy()([0, 1, 2, 3], em.ones(4, 3) / 3)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\); got values from -1"):
        L.SparseCategoricalCrossentropy()([0, 1, 2, -1], em.ones(4, 3) / 3)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        L.SparseCategoricalCrossentropy()([0, 1, 2, 3], p)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        L.BinaryCrossentropy(label_smoothing=1.5)


def test_warnings_for_probabilities_called_logits_and_single_class():
    z = em.zeros(2, 3, requires_grad=True)
    with pytest.warns(UserWarning, match="from_logits=True, but y_pred is the output of a "
                                         "softmax"):
        L.SparseCategoricalCrossentropy(from_logits=True)([0, 1], em.softmax(z))
    with pytest.warns(UserWarning, match="single class"):
        L.CategoricalCrossentropy()(np.ones((2, 1)), em.softmax(em.zeros(2, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L.SparseCategoricalCrossentropy(from_logits=True)([0, 1], z)


def test_softmax_then_sparse_crossentropy_is_one_fused_op_with_the_mean():
    """The compiled (softmax, cross-entropy) pair is one fused node on the logits: no softmax
    is computed for the loss."""
    model = em.Sequential([em.layers.Input(shape=(4,)), em.layers.Activation("softmax")])
    model.compile(optimizer="sgd", loss=L.SparseCategoricalCrossentropy())
    z = em.tensor(Z.astype(np.float32), requires_grad=True)
    loss, _ = model._trainer._forward_loss([z], [LABELS], None, training=True)
    assert loss.grad_fn == "softmax_cross_entropy" and loss._node.parents[0] is z
    assert loss.ndim == 0
    loss.backward()
    zt = torch.tensor(Z.astype(np.float32), requires_grad=True)
    ref = torch.nn.functional.cross_entropy(zt, torch.tensor(LABELS))
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)
    np.testing.assert_allclose(z.grad.numpy(), zt.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["sparse_categorical_crossentropy", "categorical_crossentropy",
                                  "binary_crossentropy"])
def test_the_crossentropy_metric_equals_the_loss_of_the_same_name(name):
    """At logits +-30 a softmax (sigmoid) output rounds to exactly 0 and 1: the loss is taken
    from the logits (60, or 30 for one sigmoid unit), and the metric of the same name, which
    is the same function, must say the same (it used to clip to 1e-7 and report 16.1)."""
    binary = name == "binary_crossentropy"
    units, act = (1, "sigmoid") if binary else (2, "softmax")
    model = em.Sequential([em.layers.Dense(units, activation=act, input_shape=(1,))])
    model.build((None, 1))
    kernel = [[30.0]] if binary else [[30.0, -30.0]]
    model.layers[0].kernel.data[...] = np.array(kernel, np.float32)
    x = np.array([[1.0], [-1.0]], np.float32)
    labels = np.array([1, 0])  # both confidently wrong
    y = {"sparse_categorical_crossentropy": labels, "binary_crossentropy": 1 - labels[:, None],
         "categorical_crossentropy": np.eye(2, dtype=np.float32)[labels]}[name]
    model.compile(optimizer="sgd", loss=name, metrics=[name])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = 30.0 if binary else 60.0
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)
    assert logs[name] == pytest.approx(logs["loss"], rel=1e-6)
    hist = model.fit(x, y, epochs=1, verbose=0, shuffle=False)  # in training too
    assert hist.history[name][0] == pytest.approx(hist.history["loss"][0], rel=1e-6)


def test_the_crossentropy_metric_on_plain_probabilities_is_keras_clipped_value():
    # arrays carry no logits: probabilities are clipped to [1e-7, 1 - 1e-7], as Keras does
    m = em.metrics.SparseCategoricalCrossentropy()
    assert float(m([1], [[1.0, 0.0]])) == pytest.approx(-np.log(1e-7), rel=1e-5)
    loss = L.sparse_categorical_crossentropy([1], np.array([[1.0, 0.0]], np.float32))
    assert float(m.result()) == pytest.approx(float(loss.numpy()[0]), rel=1e-6)


@pytest.mark.parametrize("spec", [em.losses.sparse_categorical_crossentropy,
                                  em.losses.SparseCategoricalCrossentropy(),
                                  em.metrics.SparseCategoricalCrossentropy()], ids=repr)
def test_a_loss_used_as_a_metric_agrees_with_the_loss(spec):
    model = em.Sequential([em.layers.Dense(2, activation="softmax", input_shape=(1,))])
    model.build((None, 1))
    model.layers[0].kernel.data[...] = np.array([[30.0, -30.0]], np.float32)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[spec])
    logs = model.evaluate(np.array([[1.0], [-1.0]], np.float32), np.array([1, 0]), verbose=0,
                          return_dict=True)
    assert logs == pytest.approx({"loss": 60.0, "sparse_categorical_crossentropy": 60.0})
