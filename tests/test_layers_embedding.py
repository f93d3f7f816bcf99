"""Embedding: lookups and scatter-add gradients against torch.nn.Embedding, masks, errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em


def test_matches_torch_lookup_and_gradient_with_repeated_indices(rng):
    torch = pytest.importorskip("torch")
    layer = em.layers.Embedding(10, 4)
    idx = np.array([[1, 2, 2, 9], [0, 2, 5, 1]])
    out = layer(idx)
    ref = torch.nn.Embedding(10, 4)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(layer.embeddings.numpy()))
    ref_out = ref(torch.tensor(idx))
    np.testing.assert_allclose(out.numpy(), ref_out.detach().numpy())
    g = rng.standard_normal((2, 4, 4)).astype(np.float32)
    (out * em.tensor(g)).sum().backward()
    (ref_out * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(layer.embeddings.grad.numpy(), ref.weight.grad.numpy(),
                               rtol=1e-6, atol=1e-6)
    assert np.abs(layer.embeddings.grad.numpy()[[3, 4, 6, 7, 8]]).max() == 0  # unused rows


def test_default_initializer_is_uniform_005_and_any_input_rank():
    em.utils.set_random_seed(0)
    layer = em.layers.Embedding(1000, 16, input_length=7)  # input_length is ignored
    assert layer(np.zeros((3,), dtype=np.int64)).shape == (3, 16)
    assert layer(np.zeros((2, 3, 5), dtype=np.int32)).shape == (2, 3, 5, 16)
    w = layer.embeddings.numpy()
    assert w.dtype == np.float32 and w.min() >= -0.05 and w.max() <= 0.05 and w.std() > 0.02
    assert [v.path for v in layer.weights] == [f"{layer.name}/embeddings"]


def test_mask_zero_sets_the_padding_mask():
    layer = em.layers.Embedding(5, 2, mask_zero=True)
    out = layer(np.array([[3, 0, 1], [0, 0, 4]]))
    np.testing.assert_array_equal(em.backend.to_numpy(out._mask),
                                  [[True, False, True], [False, False, True]])
    assert getattr(em.layers.Embedding(5, 2)(np.array([[0, 1]])), "_mask", None) is None


def test_float_indices_from_tables_are_accepted():
    layer = em.layers.Embedding(5, 2)
    np.testing.assert_array_equal(layer(np.array([[1.0, 3.0]])).numpy(),
                                  layer(np.array([[1, 3]])).numpy())
    with pytest.raises(ValueError, match="integer indices"):
        layer(np.array([[1.5]]))


def test_out_of_range_indices_name_input_dim():
    layer = em.layers.Embedding(10, 3, name="emb")
    with pytest.raises(ValueError, match=r"Embedding 'emb': index 10 is out of range for "
                                         r"input_dim=10 \(valid indices are 0 to 9\)"):
        layer(np.array([[1, 10]]))
    with pytest.raises(ValueError, match="index -1 is out of range"):
        layer(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match="input_dim must be a positive integer"):
        em.layers.Embedding(0, 3)


def test_config_round_trip_and_initial_weights():
    layer = em.layers.Embedding(6, 3, mask_zero=True, embeddings_regularizer="l2")
    config = layer.get_config()
    again = em.layers.Embedding.from_config(config)
    assert again.get_config() == config and again.mask_zero
    w = np.arange(18, dtype=np.float32).reshape(6, 3)
    preset = em.layers.Embedding(6, 3, weights=[w])
    np.testing.assert_array_equal(preset(np.array([5])).numpy(), w[[5]])
    assert layer.compute_output_shape((None, 4)) == (None, 4, 3)
    layer(np.array([[1, 2]]))
    assert len(layer.losses) == 1  # the embeddings' L2 penalty


def _padded_sum_task(n: int = 384, steps: int = 10):
    """Token sequences of 3..steps tokens (1-9), zero-padded; label: mean token > 5."""
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, steps + 1, n)
    x = np.zeros((n, steps), dtype=np.int64)
    for i, length in enumerate(lengths):
        x[i, :length] = rng.integers(1, 10, length)
    return x, (x.sum(axis=1) > 5 * lengths).astype(np.int64)


def test_embedding_and_lstm_learn_a_padded_sequence_task():
    em.utils.set_random_seed(0)
    x, y = _padded_sum_task()
    model = em.Sequential([em.layers.Embedding(10, 8, mask_zero=True), em.layers.LSTM(16),
                           em.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=12, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


def test_recurrent_model_saves_and_loads(tmp_path):
    em.utils.set_random_seed(0)
    model = em.Sequential([
        em.layers.Embedding(10, 4, mask_zero=True, input_shape=(6,)),
        em.layers.Bidirectional(em.layers.LSTM(3, return_sequences=True)),
        em.layers.GRU(3, reset_after=False), em.layers.Dense(2)])
    x = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 9]])
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "rnn.ember")
    again = em.models.load_model(tmp_path / "rnn.ember")
    np.testing.assert_allclose(again.predict(x, verbose=0), before, rtol=1e-6, atol=1e-7)
