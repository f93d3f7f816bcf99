"""Keras 3's less common activations (celu, glu, the shrinks, sparse_plus, sparsemax, ...):
values against Keras 3 (JAX) over a grid that holds every kink, gradients against PyTorch's
functions (at the kinks too) and JAX's grad, float64 finite differences (ember.gradcheck),
use by name in a layer and save/load in a fresh process.

Keras 3.15.1's sparsemax is checked against an independent bisection solution and shown wrong
as soon as two entries get weight (it sums the running sums); ember's is the textbook one."""

import inspect
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from tests.keras_oracle import run_keras

import ember as em

# every kink of every function here (+-0.5, +-1, 0) is on the grid, exactly
GRID = (np.arange(-30, 31) / 10).astype("float32")
ROWS = np.random.default_rng(0).normal(size=(8, 6)).astype("float32") * 1.5

# name -> (kwargs, torch function name or None)
CASES = {
    "celu": ({}, "celu"), "celu_a": ({"alpha": 0.5}, "celu"),
    "hard_shrink": ({}, "hardshrink"), "hard_shrink_t": ({"threshold": 1.0}, "hardshrink"),
    "hard_tanh": ({}, "hardtanh"), "log_sigmoid": ({}, "logsigmoid"),
    "soft_shrink": ({}, "softshrink"), "soft_shrink_t": ({"threshold": 1.0}, "softshrink"),
    "sparse_plus": ({}, None), "sparse_sigmoid": ({}, None),
    "squareplus": ({}, None), "squareplus_b": ({"b": 1.0}, None),
    "tanh_shrink": ({}, "tanhshrink"),
    "threshold": ({"threshold": 0.5, "default_value": -2.0}, "threshold"),
}
TORCH_KW = {"threshold": "lambd", "alpha": "alpha"}


def _fn(case):
    return case.rsplit("_", 1)[0] if case.endswith(("_a", "_t", "_b")) else case


@pytest.fixture(scope="module")
def keras_out(tmp_path_factory):
    cases = {k: (_fn(k), kw) for k, (kw, _) in CASES.items()}
    code = f"""
    import jax
    import jax.numpy as jnp
    from keras import activations as A
    grid = np.arange(-30, 31, dtype="float64") / 10
    grid = grid.astype("float32")
    rows = np.asarray({ROWS.tolist()!r}, dtype="float32")
    for case, (name, kw) in {cases!r}.items():
        f = getattr(A, name)
        out[case] = np.asarray(f(grid, **kw))
        out["grad_" + case] = np.asarray(jax.grad(lambda x: jnp.sum(f(x, **kw)))(grid))
    out["glu"] = np.asarray(A.glu(rows))
    out["glu0"] = np.asarray(A.glu(rows, axis=0))
    out["sparsemax"] = np.asarray(A.sparsemax(rows))
    out["sparsemax0"] = np.asarray(A.sparsemax(rows, axis=0))
    out["sparsemax_pair"] = np.asarray(A.sparsemax(np.array([[1.0, 0.8, -1.0]], "float32")))
    import inspect
    out["signatures"] = [name + str(inspect.signature(getattr(A, name))) for name in
                         ["celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid",
                          "soft_shrink", "sparse_plus", "sparse_sigmoid", "sparsemax",
                          "squareplus", "tanh_shrink", "threshold"]]
    """
    return run_keras(code, tmp_path_factory.mktemp("keras_act"))


def _plain_signature(name):
    params = inspect.signature(getattr(em.activations, name)).parameters.values()
    return name + "(" + ", ".join(
        p.name if p.default is p.empty else f"{p.name}={p.default!r}" for p in params) + ")"


def test_signatures_match_keras(keras_out):
    keras_sigs = [str(s) for s in keras_out["signatures"]]
    assert [_plain_signature(s.split("(")[0]) for s in keras_sigs] == keras_sigs


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_match_keras_over_the_kinks(keras_out, case):
    kw, _ = CASES[case]
    got = getattr(em.activations, _fn(case))(em.tensor(GRID), **kw)
    assert got.dtype == em.float32
    np.testing.assert_allclose(got.numpy(), keras_out[case], rtol=1e-6, atol=1e-6)


def _grad(name, kw, x):
    t = em.tensor(x, requires_grad=True)
    getattr(em.activations, name)(t, **kw).sum().backward()
    return t.grad.numpy()


@pytest.mark.parametrize("case", sorted(c for c, (_, tf) in CASES.items() if tf))
def test_gradients_match_torch_at_the_kinks_too(case):
    torch = pytest.importorskip("torch")
    kw, torch_name = CASES[case]
    tx = torch.tensor(GRID, requires_grad=True)
    if torch_name == "threshold":
        y = torch.nn.functional.threshold(tx, kw["threshold"], kw["default_value"])
    elif torch_name == "hardtanh":
        y = torch.nn.functional.hardtanh(tx)
    else:
        y = getattr(torch.nn.functional, torch_name)(
            tx, **{TORCH_KW[k]: v for k, v in kw.items()})
    y.sum().backward()
    ours = _grad(_fn(case), kw, GRID)
    np.testing.assert_allclose(ours, tx.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(getattr(em.activations, _fn(case))(em.tensor(GRID), **kw).numpy(),
                               y.detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", ["sparse_plus", "sparse_sigmoid", "squareplus",
                                  "squareplus_b"])
def test_gradients_match_jax_where_torch_has_no_such_function(keras_out, case):
    kw, _ = CASES[case]
    np.testing.assert_allclose(_grad(_fn(case), kw, GRID), keras_out["grad_" + case],
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_match_finite_differences_in_float64(case):
    kw, _ = CASES[case]
    fn = getattr(em.activations, _fn(case))
    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 3, size=(5, 7))
    # keep 1e-3 away from every kink, where the function is not differentiable
    for kink in (-1.0, -0.5, 0.0, 0.5, 1.0):
        x = np.where(np.abs(x - kink) < 1e-3, kink + 0.01, x)
    assert em.gradcheck(lambda t: fn(t, **kw), [x])


def test_glu_matches_keras_and_torch(keras_out):
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(em.activations.glu(em.tensor(ROWS)).numpy(), keras_out["glu"],
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(em.activations.glu(em.tensor(ROWS), axis=0).numpy(),
                               keras_out["glu0"], rtol=1e-6, atol=1e-6)
    tx = torch.tensor(ROWS, requires_grad=True)
    torch.nn.functional.glu(tx, dim=0).pow(2).sum().backward()
    t = em.tensor(ROWS, requires_grad=True)
    (em.activations.glu(t, axis=0) ** 2).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert em.gradcheck(lambda u: em.activations.glu(u), [ROWS.astype("float64")])
    with pytest.raises(ValueError, match=r"glu: axis -1 must have an even size.*\(2, 3\)"):
        em.activations.glu(em.ones((2, 3)))


def _sparsemax_by_bisection(z, axis=-1):
    """Independent solution: tau is the root of sum(max(z - tau, 0)) = 1 (monotone in tau)."""
    z = np.moveaxis(np.asarray(z, dtype="float64"), axis, -1)
    lo, hi = z.max(-1, keepdims=True) - 1, z.max(-1, keepdims=True)
    for _ in range(200):
        mid = (lo + hi) / 2
        over = np.maximum(z - mid, 0).sum(-1, keepdims=True) > 1
        lo, hi = np.where(over, mid, lo), np.where(over, hi, mid)
    return np.moveaxis(np.maximum(z - (lo + hi) / 2, 0), -1, axis)


def test_sparsemax_is_the_simplex_projection_keras_is_not(keras_out):
    for axis, key in ((-1, "sparsemax"), (0, "sparsemax0")):
        ours = em.activations.sparsemax(em.tensor(ROWS), axis=axis).numpy()
        exact = _sparsemax_by_bisection(ROWS, axis)
        np.testing.assert_allclose(ours, exact, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.sum(axis), 1.0, rtol=1e-6)
        # Keras 3.15.1 agrees only where a single entry gets all the weight
        support = (exact > 1e-9).sum(axis)
        keras = keras_out[key]
        one = support == 1
        if axis == 0:
            keras, ours = keras.T, ours.T
        np.testing.assert_allclose(keras[one], ours[one], atol=1e-6)
        assert (~one).any() and not np.allclose(keras[~one], ours[~one], atol=1e-3)
    # [1, 0.8, -1]: the projection is [0.6, 0.4, 0]; Keras gives [0.1, 0, 0] (sums to 0.1:
    # its tau is (1 + 1.8 - 1) / 2 = 0.9, the running sums summed)
    np.testing.assert_allclose(em.activations.sparsemax(em.tensor([[1.0, 0.8, -1.0]])).numpy(),
                               [[0.6, 0.4, 0.0]], atol=1e-6)
    np.testing.assert_allclose(keras_out["sparsemax_pair"], [[0.1, 0.0, 0.0]], atol=1e-6)


def test_sparsemax_gradient():
    x = ROWS.astype("float64")
    assert em.gradcheck(lambda t: em.activations.sparsemax(t), [x])
    assert em.gradcheck(lambda t: em.activations.sparsemax(t, axis=0), [x])
    with pytest.raises(ValueError, match="sparsemax: needs at least one axis"):
        em.activations.sparsemax(em.tensor(1.0))


def test_bad_arguments_name_the_function():
    with pytest.raises(ValueError, match="celu: alpha must be non-zero"):
        em.activations.celu(em.ones(2), alpha=0)
    with pytest.raises(ValueError, match="squareplus: b must be >= 0.*-1"):
        em.activations.squareplus(em.ones(2), b=-1)
    with pytest.raises(ValueError, match="unknown activation 'celu2'"):
        em.activations.get("celu2")


NAMED = ["celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus",
         "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink"]


def test_by_name_in_layers_and_exported_as_keras():
    from ember import keras

    x = np.random.default_rng(2).normal(size=(3, 6)).astype("float32")
    for name in NAMED + ["threshold"]:
        assert getattr(keras.activations, name) is getattr(em.activations, name)
        assert em.activations.get(name) is getattr(em.activations, name)
        assert em.activations.serialize(getattr(em.activations, name)) == name
    for name in NAMED:
        layer = em.layers.Dense(4, activation=name)
        y = layer(em.tensor(x))
        expect = getattr(em.activations, name)(em.tensor(x) @ layer.kernel + layer.bias)
        np.testing.assert_allclose(y.numpy(), expect.numpy(), rtol=1e-6, atol=1e-6)
        assert layer.get_config()["activation"] == name
        again = em.layers.Dense.from_config(layer.get_config())
        assert again.activation is getattr(em.activations, name)
        assert em.layers.Activation(name)(em.tensor(x)).shape[-1] == (3 if name == "glu" else 6)


def test_glu_halves_the_symbolic_shape_as_keras_does():
    # Keras runs the activation on the symbolic tensor: Dense(6, "glu") gives (None, 3)
    inputs = em.Input((4,))
    assert em.layers.Dense(6, activation="glu")(inputs).shape == (None, 3)
    assert em.layers.Activation("glu")(em.Input((5, 8))).shape == (None, 5, 4)
    model = em.Model(inputs, em.layers.Dense(6, activation="glu")(inputs))
    assert model.predict(np.ones((2, 4), "float32"), verbose=0).shape == (2, 3)


LOAD = textwrap.dedent('''
    import json, sys
    import numpy as np
    import ember as em
    model = em.models.load_model(sys.argv[1])
    x = np.load(sys.argv[2])
    print(json.dumps({"y": model.predict(x, verbose=0).tolist(),
                      "acts": [l.get_config().get("activation") for l in model.layers]}))
''')


@pytest.mark.parametrize("ext", [".ember", ".keras"])
def test_models_using_them_save_and_load_in_a_fresh_process(tmp_path, ext):
    em.utils.set_random_seed(0)
    # glu halves the last axis, so it goes last
    order = [n for n in NAMED if n != "glu"] + ["glu"]
    model = em.Sequential([em.Input((5,))] + [em.layers.Dense(6, activation=n) for n in order])
    x = np.random.default_rng(3).normal(size=(4, 5)).astype("float32")
    expect = model.predict(x, verbose=0)
    path, xs = str(tmp_path / f"m{ext}"), str(tmp_path / "x.npy")
    model.save(path)
    np.save(xs, x)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", LOAD, path, xs], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(np.asarray(got["y"]), expect, rtol=1e-6, atol=1e-6)
    assert [a for a in got["acts"] if a] == order


def test_a_keras_file_using_them_loads_in_keras_with_the_same_outputs(tmp_path):
    # sparsemax left out: Keras 3.15.1 computes it differently (see above)
    order = [n for n in NAMED if n not in ("glu", "sparsemax")] + ["glu"]
    em.utils.set_random_seed(1)
    model = em.Sequential([em.Input((5,))] + [em.layers.Dense(6, activation=n) for n in order])
    x = np.random.default_rng(4).normal(size=(4, 5)).astype("float32")
    path = tmp_path / "m.keras"
    model.save(str(path))
    np.save(tmp_path / "x.npy", x)
    out = run_keras(f"""
    model = keras.saving.load_model({str(path)!r})
    out["y"] = np.asarray(model.predict(np.load({str(tmp_path / "x.npy")!r}), verbose=0))
    out["acts"] = [l.get_config()["activation"] for l in model.layers]
    """, tmp_path)
    assert list(out["acts"]) == order
    np.testing.assert_allclose(out["y"], model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
