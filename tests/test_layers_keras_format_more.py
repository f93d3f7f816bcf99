"""The 3-D pooling, adaptive pooling, Conv3DTranspose, RMSNormalization and EinsumDense layers
in Keras' own .keras format: a model saved by ember loads in Keras 3 (JAX) and predicts the
same, and Keras' re-save loads back in ember."""

import numpy as np
import pytest

import ember as em
from zoo_oracle import keras

L = em.layers


def _model():
    em.utils.set_random_seed(0)
    inp = em.Input((5, 6, 7, 3))
    y = L.Conv3DTranspose(4, 2, strides=(1, 2, 1), padding="same", activation="relu")(inp)
    y = L.MaxPooling3D(2, padding="same")(y)
    y = L.UpSampling3D((2, 1, 1))(y)
    y = L.AveragePooling3D((2, 2, 1), data_format="channels_first")(y)
    y = L.AdaptiveMaxPooling3D((2, 2, 2))(y)
    y = L.AdaptiveAveragePooling3D(1)(y)
    a = L.GlobalAveragePooling3D()(y)
    b = L.GlobalMaxPooling3D()(L.RMSNormalization(axis=[1, 2])(y))
    z = L.Reshape((2, 4))(L.Concatenate()([a, b]))
    z = L.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d", activation="tanh")(z)
    z = L.Reshape((3, 3, 1))(L.AdaptiveAveragePooling1D(3)(z))
    z = L.AdaptiveMaxPooling2D(2)(L.AdaptiveAveragePooling2D((3, 2))(z))
    z = L.AdaptiveMaxPooling1D(2)(L.Reshape((4, 1))(z))
    return em.Model(inp, L.Dense(1)(L.Flatten()(z)))


def test_new_layers_round_trip_through_keras_files(tmp_path):
    k = keras()
    pytest.importorskip("h5py")
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 7, 3)).astype("float32")
    model = _model()
    model.compile("adam", "mse")
    model.fit(x, np.ones((2, 1), "float32"), epochs=1, verbose=0)
    model.save(str(tmp_path / "m.keras"))
    theirs = k.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    theirs.save(tmp_path / "k.keras")
    back = em.models.load_model(str(tmp_path / "k.keras"))
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)
