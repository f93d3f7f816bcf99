"""Trainer pattern: one custom train_step shared by several models.
Source: https://keras.io/examples/keras_recipes/trainer_pattern/
(https://github.com/keras-team/keras-io/blob/master/examples/keras_recipes/trainer_pattern.py)
Changes: the imports, a 2000/500-sample local MNIST subset instead of the download, 2 epochs
instead of 5, the histories recorded; each change is commented. Runs on ember only (it uses
tf.GradientTape and tf.keras' compiled_loss / compiled_metrics)."""

import json  # CHANGED: added

import ember.tensorflow as tf  # CHANGED: was `import tensorflow as tf`
from ember import keras  # CHANGED: was `from tensorflow import keras`

from corpus_data import mnist_subset  # CHANGED: added (local data)

keras.utils.set_random_seed(0)  # CHANGED: added

# Load MNIST dataset and standardize the data
(x_train, y_train), (x_test, y_test) = mnist_subset()  # CHANGED: was keras.datasets.mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0


class MyTrainer(keras.Model):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self.model(x, training=True)  # Forward pass
            # Compute loss value
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)

        # Compute gradients
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)

        # Update weights
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))

        # Update metrics configured in `compile()`
        self.compiled_metrics.update_state(y, y_pred)

        # Return a dict mapping metric names to current value.
        return {m.name: m.result() for m in self.metrics}

    def call(self, x):
        # Equivalent to `call()` of the wrapped keras.Model
        x = self.model(x)
        return x


# A model defined using Sequential API
model_a = keras.models.Sequential(
    [
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ]
)

# A model defined using Functional API
func_input = keras.Input(shape=(28, 28, 1))
x = keras.layers.Flatten(input_shape=(28, 28))(func_input)
x = keras.layers.Dense(512, activation="relu")(x)
x = keras.layers.Dropout(0.4)(x)
func_output = keras.layers.Dense(10, activation="softmax")(x)

model_b = keras.Model(func_input, func_output)

trainer_1 = MyTrainer(model_a)
trainer_2 = MyTrainer(model_b)

trainer_1.compile(
    keras.optimizers.SGD(), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
h1 = trainer_1.fit(  # CHANGED: the history kept
    x_train, y_train, epochs=2, batch_size=64, validation_data=(x_test, y_test)  # CHANGED: 2 epochs (was 5)
)

trainer_2.compile(
    keras.optimizers.Adam(),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
h2 = trainer_2.fit(  # CHANGED: the history kept
    x_train, y_train, epochs=2, batch_size=64, validation_data=(x_test, y_test)  # CHANGED: 2 epochs (was 5)
)
print("RESULT", json.dumps({"first": h1.history, "second": h2.history}))  # CHANGED: added
