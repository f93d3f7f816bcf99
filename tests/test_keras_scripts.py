"""tf.keras beginner scripts, written as the tutorials write them, with only the import changed
(``from tensorflow import keras`` -> ``import ember as keras``). Sizes are cut so each runs in
seconds; the accuracies asserted are what these subsets reach."""

import numpy as np
import pytest

import ember as keras  # the only change from the tf.keras originals

layers = keras.layers


@pytest.fixture(scope="module")
def mnist_small():
    from conftest import mnist_dir

    path = mnist_dir()
    if path is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR)")
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data(path=str(path))
    return (x_train[:12000], y_train[:12000]), (x_test[:2000], y_test[:2000])


def test_mnist_dense_tutorial(mnist_small):
    (x_train, y_train), (x_test, y_test) = mnist_small
    x_train, x_test = x_train / 255.0, x_test / 255.0

    model = keras.models.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=3, validation_split=0.1, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=2)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert test_acc > 0.9  # PyTorch reaches 0.911 on the same subset and schedule


def test_mnist_convnet_tutorial(mnist_small):
    num_classes = 10
    input_shape = (28, 28, 1)
    (x_train, y_train), (x_test, y_test) = mnist_small
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ])
    batch_size = 128
    epochs = 1
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1,
              verbose=0)
    score = model.evaluate(x_test, y_test, verbose=0)
    assert score[1] > 0.9


def test_simple_rnn_forecasts_a_noisy_sine_wave():
    def generate_time_series(batch_size, n_steps):
        freq1, freq2, offsets1, offsets2 = np.random.rand(4, batch_size, 1)
        time = np.linspace(0, 1, n_steps)
        series = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))
        series += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))
        series += 0.1 * (np.random.rand(batch_size, n_steps) - 0.5)
        return series[..., np.newaxis].astype(np.float32)

    np.random.seed(42)
    keras.utils.set_random_seed(42)
    n_steps = 50
    series = generate_time_series(1200, n_steps + 1)
    X_train, y_train = series[:1000, :n_steps], series[:1000, -1]
    X_valid, y_valid = series[1000:, :n_steps], series[1000:, -1]
    naive = np.mean(np.square(X_valid[:, -1] - y_valid))

    model = keras.models.Sequential([
        keras.layers.SimpleRNN(20, return_sequences=True, input_shape=[None, 1]),
        keras.layers.SimpleRNN(20),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mean_squared_error")
    history = model.fit(X_train, y_train, epochs=8, validation_data=(X_valid, y_valid),
                        verbose=0)
    assert history.history["val_loss"][-1] < naive  # beats "tomorrow = today"
    assert model.predict(X_valid[:3], verbose=0).shape == (3, 1)


def test_binary_classifier_on_a_dataframe_with_early_stopping():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({"age": rng.integers(18, 80, n), "income": rng.normal(50, 15, n),
                       "visits": rng.poisson(3, n)})
    df["bought"] = ((df["income"] / 50 + df["visits"] / 3 - df["age"] / 80
                     + rng.normal(0, 0.3, n)) > 1.3).astype(int)
    features = df[["age", "income", "visits"]]
    features = (features - features.mean()) / features.std()
    labels = df["bought"]

    model = keras.Sequential([
        keras.layers.Dense(16, activation="relu", input_shape=(3,)),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
                                               restore_best_weights=True)
    history = model.fit(features, labels, epochs=60, validation_split=0.2,
                        callbacks=[early_stop], verbose=0)
    assert history.history["val_accuracy"][-1] > 0.8
    best = int(np.argmin(history.history["val_loss"]))
    assert model.evaluate(features[-120:], labels[-120:], verbose=0)[0] == pytest.approx(
        history.history["val_loss"][best], rel=1e-4)


def test_functional_model_with_two_inputs():
    rng = np.random.default_rng(0)
    title = rng.random((400, 8)).astype("float32")
    body = rng.random((400, 12)).astype("float32")
    priority = (title.sum(axis=1) - body.sum(axis=1) / 1.5 > 0).astype("float32")[:, None]

    title_input = keras.Input(shape=(8,), name="title")
    body_input = keras.Input(shape=(12,), name="body")
    title_features = layers.Dense(16, activation="relu")(title_input)
    body_features = layers.Dense(16, activation="relu")(body_input)
    x = layers.concatenate([title_features, body_features])
    priority_pred = layers.Dense(1, activation="sigmoid", name="priority")(x)
    model = keras.Model(inputs=[title_input, body_input], outputs=[priority_pred])

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss=keras.losses.BinaryCrossentropy(), metrics=["accuracy"])
    model.fit({"title": title, "body": body}, priority, epochs=15, batch_size=32, verbose=0)
    _, acc = model.evaluate([title, body], priority, verbose=0)
    assert acc > 0.9
