"""Simple MNIST convnet.
Source: https://keras.io/examples/vision/mnist_convnet/ (fchollet)
Changes: the import (ember instead of keras) and the data (a 2000-sample MNIST subset read
locally instead of the download, 2 epochs instead of 15); each change is commented."""

import json

import numpy as np

from ember import keras  # CHANGED: was `import keras`
from ember.keras import layers  # CHANGED: was `from keras import layers`

from corpus_data import mnist_subset  # CHANGED: local data instead of the download

keras.utils.set_random_seed(1)  # CHANGED: added, for a reproducible comparison

# Model / data parameters
num_classes = 10
input_shape = (28, 28, 1)

# Load the data and split it between train and test sets
(x_train, y_train), (x_test, y_test) = mnist_subset()  # CHANGED: was keras.datasets.mnist.load_data()

# Scale images to the [0, 1] range
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
# Make sure images have shape (28, 28, 1)
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# convert class vectors to binary class matrices
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)

model.summary()

batch_size = 128
epochs = 2  # CHANGED: was 15

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
print("RESULT", json.dumps({"loss": float(score[0]), "accuracy": float(score[1])}))  # CHANGED: added
