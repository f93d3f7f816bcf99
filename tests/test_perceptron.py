"""The step activation, the perceptron rule (AND/OR learned, XOR not), and XOR with a hidden
layer."""

import numpy as np
import pytest

import ember as em

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype="float32")
GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0], "XOR": [0, 1, 1, 0]}


def test_step_activation_values_gradient_and_name():
    x = em.tensor([-2.0, -1e-7, 0.0, 3.0], requires_grad=True)
    y = em.activations.step(x)
    np.testing.assert_array_equal(y.numpy(), [0, 0, 1, 1])
    np.testing.assert_array_equal(np.heaviside(x.numpy(), 1.0), y.numpy())  # H(0) = 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)  # nothing for gradient descent
    assert em.activations.get("step") is em.activations.step
    assert em.activations.serialize(em.activations.step) == "step"
    assert em.activations.step(em.tensor([0.4, 0.6]), threshold=0.5).tolist() == [0.0, 1.0]
    assert em.activations.step(em.tensor([1.0], dtype="float64")).data.dtype == np.float64


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND"])
def test_perceptron_rule_learns_linearly_separable_gates(gate):
    y = np.array(GATES[gate])
    p = em.models.Perceptron().fit(em.tensor(X), y)
    assert p.converged and p.history[-1] == 0
    np.testing.assert_array_equal(p.predict(X).numpy(), y)
    assert p.score(X, y) == 1.0
    # the boundary it found separates the classes: w . x + b >= 0 exactly on the ones
    z = p.decision_function(X).numpy()
    assert ((z >= 0) == (y == 1)).all()


def test_perceptron_agrees_with_scikit_learns_on_separable_gates():
    sk = pytest.importorskip("sklearn.linear_model", reason="scikit-learn is the oracle")
    for gate in ("AND", "OR"):
        y = np.array(GATES[gate])
        ref = sk.Perceptron(max_iter=100, tol=None, shuffle=False).fit(X, y)
        ours = em.models.Perceptron(shuffle=True, seed=0).fit(X, y)
        np.testing.assert_array_equal(ours.predict(X).numpy(), ref.predict(X))


def test_perceptron_rule_fails_on_xor():
    y = np.array(GATES["XOR"])
    for seed in range(5):
        p = em.models.Perceptron(max_epochs=200, shuffle=True, seed=seed).fit(X, y)
        assert not p.converged
        assert len(p.history) == 200 and min(p.history) > 0  # every pass makes a mistake
        assert p.score(X, y) <= 0.75  # no line gets all four right


def test_hidden_layer_solves_xor():
    y = np.array(GATES["XOR"], dtype="float32")
    em.utils.set_random_seed(0)
    model = em.Sequential([em.Input((2,)), em.layers.Dense(4, activation="tanh"),
                           em.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=em.optimizers.Adam(0.1), loss="binary_crossentropy")
    history = model.fit(X, y, epochs=200, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.05
    np.testing.assert_array_equal((model.predict(X, verbose=0).ravel() > 0.5).astype(int),
                                  GATES["XOR"])


def test_a_dense_layer_with_the_step_activation_gets_no_gradient():
    layer = em.layers.Dense(1, activation="step")
    out = layer(em.tensor(X))
    out.sum().backward()
    assert np.all(layer.kernel.grad.numpy() == 0)


def test_perceptron_reports_bad_input():
    with pytest.raises(ValueError, match=r"Perceptron.fit: y must hold the labels 0 and 1; got"):
        em.models.Perceptron().fit(X, [-1, 1, 1, -1])
    with pytest.raises(ValueError, match="Perceptron.fit: x contains NaN"):
        em.models.Perceptron().fit(np.array([[np.nan, 0.0]]), [1])
    with pytest.raises(ValueError, match="Perceptron.fit: x has 4 samples but y has 3"):
        em.models.Perceptron().fit(X, [0, 1, 1])
    with pytest.raises(RuntimeError, match="call fit"):
        em.models.Perceptron().predict(X)
    p = em.models.Perceptron().fit(X, GATES["AND"])
    with pytest.raises(ValueError, match="x has 3 features; the perceptron was fitted on 2"):
        p.predict(np.zeros((1, 3)))
