"""Switching between the fast and the reference paths of ``ember.kernels``: per op and
globally, in a ``reference()`` block (the previous choice restored on error), for a process by
``EMBER_KERNELS``, an unknown op name refused; a layer trains the same on either path, and the
RNN kernels' scratch buffers belong to their pass until its graph is freed.

Each kernel's own fast == reference cases are in tests/test_kernels_match_reference.py."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import ember as em
from ember.ops import recurrent as rnn_ops


def test_use_reference_per_op_and_globally():
    try:
        em.kernels.use_reference(True, ops=["conv2d", "lstm"])
        assert em.kernels.selected("conv2d") == em.kernels.selected("lstm") == "reference"
        assert em.kernels.selected("linear") == "fast"
        em.kernels.use_reference(True)
        assert set(em.kernels.describe().values()) == {"reference"}
        em.kernels.use_reference(False, ops="linear")  # back to fast for one op only
        assert em.kernels.selected("linear") == "fast"
        assert em.kernels.selected("gru") == "reference"
    finally:
        em.kernels.use_reference(False)
    assert set(em.kernels.describe().values()) == {"fast"}


def test_reference_block_restores_the_previous_choice_on_error():
    with pytest.raises(RuntimeError):
        with em.kernels.reference("gru"):
            raise RuntimeError("inside")
    assert em.kernels.selected("gru") == "fast"


def test_an_unknown_op_name_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"no kernel replaces 'conv3d'.*conv2d"):
        em.kernels.use_reference(True, ops="conv3d")


@pytest.mark.parametrize("value, expected", [("reference", "reference"), ("fast", "fast")])
def test_the_environment_variable_selects_the_path_for_a_process(value, expected):
    code = "import ember as em; print(sorted(set(em.kernels.describe().values())))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "EMBER_KERNELS": value}).stdout
    assert out.strip() == repr([expected])


def test_a_layer_trains_the_same_on_either_path():
    """Dense and Conv2D with relu (fused on the fast path) give the reference's gradients."""
    x = np.random.default_rng(0).standard_normal((4, 6, 6, 2)).astype(np.float32)
    grads = []
    for ref in (False, True):
        em.utils.set_random_seed(1)
        model = em.Sequential([em.layers.Input(shape=(6, 6, 2)),
                               em.layers.Conv2D(3, 3, activation="relu"),
                               em.layers.MaxPooling2D(), em.layers.Flatten(),
                               em.layers.Dense(4, activation="relu")])
        with em.kernels.reference() if ref else em.kernels.reference([]):
            out = model(x)
            out.sum().backward()
        grads.append([out.numpy()] + [w.grad.numpy() for w in model.trainable_weights])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_rnn_scratch_buffers_belong_to_their_pass_until_its_graph_is_freed():
    """A pending backward keeps its buffers (a second forward gets others); once its graph is
    gone they return to the pool, and the next pass reuses them."""
    from ember.kernels import rnn_common

    rng = np.random.default_rng(0)
    W = em.tensor(rng.standard_normal((3, 16)) * 0.3, requires_grad=True)
    R = em.tensor(rng.standard_normal((4, 16)) * 0.3, requires_grad=True)
    x1, x2 = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 3))
    rnn_common.clear_scratch()
    out1 = rnn_ops.lstm(x1, W, R, return_sequences=True)
    assert rnn_common._free_bytes == 0  # all in use by out1's pending backward
    before = out1.numpy().copy()
    out2 = rnn_ops.lstm(x2, W, R, return_sequences=True)
    out2.sum().backward()  # out2's graph is freed: its buffers go back to the pool
    freed = rnn_common._free_bytes
    assert freed > 0
    np.testing.assert_array_equal(out1.numpy(), before)
    W.grad = R.grad = None
    out1.sum().backward()  # out1's buffers were never handed out meanwhile: exact gradients
    fast_grads = (W.grad.numpy().copy(), R.grad.numpy().copy())
    W.grad = R.grad = None
    with em.kernels.reference("lstm"):
        ref = rnn_ops.lstm(x1, W, R, return_sequences=True)
        ref.sum().backward()
    np.testing.assert_allclose(ref.numpy(), before, rtol=1e-12, atol=1e-12)
    for a, b in zip(fast_grads, (W.grad.numpy(), R.grad.numpy())):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert rnn_common._free_bytes >= freed  # out1's buffers came back too
    rnn_common.clear_scratch()
