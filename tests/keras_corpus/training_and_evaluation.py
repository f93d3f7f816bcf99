"""Training & evaluation with the built-in methods: the MNIST functional model, fit with
validation_data, evaluate, predict, then the guide's custom loss function (with keras.ops).
Source: https://keras.io/guides/training_with_built_in_methods/
Changes: the imports, a 2000-sample local MNIST subset (500 held out for validation instead of
10,000), one epoch for the custom-loss model, a seed, the final numbers recorded; each change
is commented."""

import json

import numpy as np

from ember import keras  # CHANGED: was `import keras`
from ember.keras import layers  # CHANGED: was `from keras import layers`
from ember.keras import ops  # CHANGED: was `from keras import ops`

from corpus_data import mnist_subset  # CHANGED: local data instead of the download

keras.utils.set_random_seed(0)  # CHANGED: added

inputs = keras.Input(shape=(784,), name="digits")
x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = layers.Dense(10, activation="softmax", name="predictions")(x)

model = keras.Model(inputs=inputs, outputs=outputs)

(x_train, y_train), (x_test, y_test) = mnist_subset()  # CHANGED: was keras.datasets.mnist

# Preprocess the data (these are NumPy arrays)
x_train = x_train.reshape(2000, 784).astype("float32") / 255  # CHANGED: 2000, was 60000
x_test = x_test.reshape(500, 784).astype("float32") / 255  # CHANGED: 500, was 10000

y_train = y_train.astype("float32")
y_test = y_test.astype("float32")

# Reserve 500 samples for validation  # CHANGED: 500, was 10,000
x_val = x_train[-500:]
y_val = y_train[-500:]
x_train = x_train[:-500]
y_train = y_train[:-500]

model.compile(
    optimizer=keras.optimizers.RMSprop(),  # Optimizer
    # Loss function to minimize
    loss=keras.losses.SparseCategoricalCrossentropy(),
    # List of metrics to monitor
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)

print("Fit model on training data")
history = model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=2,
    # We pass some validation for
    # monitoring validation loss and metrics
    # at the end of each epoch
    validation_data=(x_val, y_val),
)

print(history.history)

# Evaluate the model on the test data using `evaluate`
print("Evaluate on test data")
results = model.evaluate(x_test, y_test, batch_size=128)
print("test loss, test acc:", results)

# Generate predictions (probabilities -- the output of the last layer)
# on new data using `predict`
print("Generate predictions for 3 samples")
predictions = model.predict(x_test[:3])
print("predictions shape:", predictions.shape)


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)

# We need to one-hot encode the labels to use MSE
y_train_one_hot = ops.one_hot(y_train, num_classes=10)
custom = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)  # CHANGED: result kept

print("RESULT", json.dumps({  # CHANGED: added
    "val_accuracy": history.history["val_sparse_categorical_accuracy"][-1],
    "test_loss": results[0], "test_accuracy": results[1],
    "predictions_shape": list(predictions.shape),
    "custom_loss": custom.history["loss"][-1]}))
