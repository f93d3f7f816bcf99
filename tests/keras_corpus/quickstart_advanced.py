"""TensorFlow 2 quickstart for experts: a subclassed model trained by a GradientTape loop.
Source: https://www.tensorflow.org/tutorials/quickstart/advanced
(https://github.com/tensorflow/docs/blob/master/site/en/tutorials/quickstart/advanced.ipynb)
Changes: the imports, a 2000/500-sample local MNIST subset instead of the download, 2 epochs
instead of 5, the results recorded; each change is commented. Runs on ember only (it uses
tf.data, tf.function and tf.GradientTape)."""

import json  # CHANGED: added

import ember.tensorflow as tf  # CHANGED: was `import tensorflow as tf`
print("TensorFlow version:", tf.__version__)

from ember.keras.layers import Dense, Flatten, Conv2D  # CHANGED: was tensorflow.keras.layers
from ember.keras import Model  # CHANGED: was `from tensorflow.keras import Model`

from corpus_data import mnist_subset  # CHANGED: added (local data)

tf.keras.utils.set_random_seed(0)  # CHANGED: added
R = []  # CHANGED: added

(x_train, y_train), (x_test, y_test) = mnist_subset()  # CHANGED: was tf.keras.datasets.mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0

x_train = x_train[..., tf.newaxis].astype("float32")
x_test = x_test[..., tf.newaxis].astype("float32")
train_ds = tf.data.Dataset.from_tensor_slices(
    (x_train, y_train)).shuffle(10000).batch(32)

test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(32)
class MyModel(Model):
  def __init__(self):
    super().__init__()
    self.conv1 = Conv2D(32, 3, activation='relu')
    self.flatten = Flatten()
    self.d1 = Dense(128, activation='relu')
    self.d2 = Dense(10)

  def call(self, x):
    x = self.conv1(x)
    x = self.flatten(x)
    x = self.d1(x)
    return self.d2(x)

model = MyModel()
loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

optimizer = tf.keras.optimizers.Adam()
train_loss = tf.keras.metrics.Mean(name='train_loss')
train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name='train_accuracy')

test_loss = tf.keras.metrics.Mean(name='test_loss')
test_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name='test_accuracy')
@tf.function
def train_step(images, labels):
  with tf.GradientTape() as tape:
    # training=True is only needed if there are layers with different
    # behavior during training versus inference (e.g. Dropout).
    predictions = model(images, training=True)
    loss = loss_object(labels, predictions)
  gradients = tape.gradient(loss, model.trainable_variables)
  optimizer.apply_gradients(zip(gradients, model.trainable_variables))

  train_loss(loss)
  train_accuracy(labels, predictions)
@tf.function
def test_step(images, labels):
  # training=False is only needed if there are layers with different
  # behavior during training versus inference (e.g. Dropout).
  predictions = model(images, training=False)
  t_loss = loss_object(labels, predictions)

  test_loss(t_loss)
  test_accuracy(labels, predictions)
EPOCHS = 2  # CHANGED: was 5

for epoch in range(EPOCHS):
  # Reset the metrics at the start of the next epoch
  train_loss.reset_state()
  train_accuracy.reset_state()
  test_loss.reset_state()
  test_accuracy.reset_state()

  for images, labels in train_ds:
    train_step(images, labels)

  for test_images, test_labels in test_ds:
    test_step(test_images, test_labels)

  print(
    f'Epoch {epoch + 1}, '
    f'Loss: {train_loss.result():0.2f}, '
    f'Accuracy: {train_accuracy.result() * 100:0.2f}, '
    f'Test Loss: {test_loss.result():0.2f}, '
    f'Test Accuracy: {test_accuracy.result() * 100:0.2f}'
  )
  R.append([float(train_loss.result()), float(test_accuracy.result())])  # CHANGED: added
print("RESULT", json.dumps({"epochs": R}))  # CHANGED: added
