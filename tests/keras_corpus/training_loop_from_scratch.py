"""Writing a training loop from scratch (TF version): GradientTape, apply_gradients and
metrics updated by hand, on MNIST.
Source: https://keras.io/guides/writing_a_training_loop_from_scratch/
Changes: the imports, a 2000-sample local MNIST subset, 2 epochs, fewer log lines, the
final numbers recorded; each change is commented. Runs on ember only (the original needs
TensorFlow's tf.GradientTape and tf.data)."""

import json

import numpy as np

import ember as tf  # CHANGED: was `import tensorflow as tf`
from ember import keras  # CHANGED: was `import keras`

from corpus_data import mnist_subset  # CHANGED: local data instead of the download

keras.utils.set_random_seed(0)  # CHANGED: added


def get_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


model = get_model()
# Instantiate an optimizer to train the model.
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
# Instantiate a loss function.
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
# Prepare the metrics.
train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
val_acc_metric = keras.metrics.SparseCategoricalAccuracy()

# Prepare the training dataset.
batch_size = 32
(x_train, y_train), (x_test, y_test) = mnist_subset()  # CHANGED: was keras.datasets.mnist
x_train = np.reshape(x_train, (-1, 784)).astype("float32") / 255  # CHANGED: scaled here
x_test = np.reshape(x_test, (-1, 784)).astype("float32") / 255

# Reserve 500 samples for validation.  # CHANGED: 500 of the 2000 (the guide: 10,000)
x_val = x_train[-500:]
y_val = y_train[-500:]
x_train = x_train[:-500]
y_train = y_train[:-500]


# CHANGED: plain NumPy batches instead of tf.data.Dataset.from_tensor_slices(...).batch()
def batches(x, y, size, shuffle_seed=None):
    idx = np.arange(len(x))
    if shuffle_seed is not None:
        np.random.RandomState(shuffle_seed).shuffle(idx)
    for i in range(0, len(x), size):
        j = idx[i:i + size]
        yield x[j], y[j]


def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
    grads = tape.gradient(loss_value, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_acc_metric.update_state(y, logits)
    return loss_value


def test_step(x, y):
    val_logits = model(x, training=False)
    val_acc_metric.update_state(y, val_logits)


epochs = 2
for epoch in range(epochs):
    print("\nStart of epoch %d" % (epoch,))
    # Iterate over the batches of the dataset.
    for step, (x_batch_train, y_batch_train) in enumerate(batches(x_train, y_train,
                                                                    batch_size, epoch)):
        loss_value = train_step(x_batch_train, y_batch_train)
        # Log every 20 batches.
        if step % 20 == 0:
            print("Training loss (for one batch) at step %d: %.4f" % (step, float(loss_value)))

    # Display metrics at the end of each epoch.
    train_acc = train_acc_metric.result()
    print("Training acc over epoch: %.4f" % (float(train_acc),))

    # Reset training metrics at the end of each epoch
    train_acc_metric.reset_state()

    # Run a validation loop at the end of each epoch.
    for x_batch_val, y_batch_val in batches(x_val, y_val, 64):
        test_step(x_batch_val, y_batch_val)

    val_acc = val_acc_metric.result()
    val_acc_metric.reset_state()
    print("Validation acc: %.4f" % (float(val_acc),))
print("RESULT", json.dumps({"train_acc": float(train_acc), "val_acc": float(val_acc)}))  # CHANGED
