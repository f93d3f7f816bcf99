"""Simple custom layer example: Antirectifier.
Source: https://keras.io/examples/keras_recipes/antirectifier/
(https://github.com/keras-team/keras-io/blob/master/examples/keras_recipes/antirectifier.py)
Changes: the imports (TensorFlow's ops come from ember), a 2000/500-sample local MNIST subset,
2 epochs instead of 20, the final metrics recorded; each change is commented. Runs on ember
only (the original calls TensorFlow's tf.* ops)."""

import json  # CHANGED: added

import ember.tensorflow as tf  # CHANGED: was `import tensorflow as tf`
from ember import keras  # CHANGED: was `from tensorflow import keras`
from ember.keras import layers  # CHANGED: was `from tensorflow.keras import layers`

from corpus_data import mnist_subset  # CHANGED: added (local data)

keras.utils.set_random_seed(0)  # CHANGED: added


class Antirectifier(layers.Layer):
    def __init__(self, initializer="he_normal", **kwargs):
        super(Antirectifier, self).__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        output_dim = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(output_dim * 2, output_dim),
            initializer=self.initializer,
            name="kernel",
            trainable=True,
        )

    def call(self, inputs):
        inputs -= tf.reduce_mean(inputs, axis=-1, keepdims=True)
        pos = tf.nn.relu(inputs)
        neg = tf.nn.relu(-inputs)
        concatenated = tf.concat([pos, neg], axis=-1)
        mixed = tf.matmul(concatenated, self.kernel)
        return mixed

    def get_config(self):
        # Implement get_config to enable serialization. This is optional.
        base_config = super(Antirectifier, self).get_config()
        config = {"initializer": keras.initializers.serialize(self.initializer)}
        return dict(list(base_config.items()) + list(config.items()))


# Training parameters
batch_size = 128
num_classes = 10
epochs = 2  # CHANGED: was 20

# The data, split between train and test sets
(x_train, y_train), (x_test, y_test) = mnist_subset()  # CHANGED: was keras.datasets.mnist.load_data()

x_train = x_train.reshape(-1, 784)
x_test = x_test.reshape(-1, 784)
x_train = x_train.astype("float32")
x_test = x_test.astype("float32")
x_train /= 255
x_test /= 255
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# Build the model
model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        layers.Dense(256),
        Antirectifier(),
        layers.Dense(256),
        Antirectifier(),
        layers.Dropout(0.5),
        layers.Dense(10),
    ]
)

# Compile the model
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.RMSprop(),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)

# Train the model
model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.15)

# Test the model
score = model.evaluate(x_test, y_test)  # CHANGED: the result kept
config = model.layers[1].get_config()  # CHANGED: added (the layer's config round trip)
print("RESULT", json.dumps({"loss": score[0], "accuracy": score[1],  # CHANGED: added
                            "config_initializer": config["initializer"]["class_name"],
                            "rebuilt": type(Antirectifier.from_config(config)).__name__}))
