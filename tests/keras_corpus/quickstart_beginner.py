"""TensorFlow 2 quickstart for beginners.
Source: https://www.tensorflow.org/tutorials/quickstart/beginner
(https://github.com/tensorflow/docs/blob/master/site/en/tutorials/quickstart/beginner.ipynb)
Changes: the import, a 2000/500-sample local MNIST subset instead of the download, 2 epochs
instead of 5, the results recorded; each change is commented. Runs on ember only (it calls
TensorFlow's tf.nn.softmax)."""

import json  # CHANGED: added

import ember.tensorflow as tf  # CHANGED: was `import tensorflow as tf`

from corpus_data import mnist_subset  # CHANGED: added (local data)

print("TensorFlow version:", tf.__version__)
tf.keras.utils.set_random_seed(0)  # CHANGED: added

(x_train, y_train), (x_test, y_test) = mnist_subset()  # CHANGED: was tf.keras.datasets.mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0
model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dropout(0.2),
  tf.keras.layers.Dense(10)
])
predictions = model(x_train[:1]).numpy()
predictions
tf.nn.softmax(predictions).numpy()
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
first_loss = loss_fn(y_train[:1], predictions).numpy()  # CHANGED: the value kept
model.compile(optimizer='adam',
              loss=loss_fn,
              metrics=['accuracy'])
model.fit(x_train, y_train, epochs=2)  # CHANGED: was 5
score = model.evaluate(x_test,  y_test, verbose=2)  # CHANGED: the result kept
probability_model = tf.keras.Sequential([
  model,
  tf.keras.layers.Softmax()
])
probs = probability_model(x_test[:5])  # CHANGED: the result kept
print("RESULT", json.dumps({"first_loss": float(first_loss), "loss": score[0],  # CHANGED: added
                            "accuracy": score[1], "probs_shape": list(probs.shape)}))
