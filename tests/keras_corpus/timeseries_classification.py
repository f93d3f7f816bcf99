"""Timeseries classification from scratch (a fully convolutional network on FordA).
Source: https://keras.io/examples/timeseries/timeseries_classification_from_scratch/
(https://github.com/keras-team/keras-io/blob/master/examples/timeseries/timeseries_classification_from_scratch.py)
Changes: the imports, local files of the FordA layout (400 + 100 series) instead of the
download, 3 epochs instead of 500, no plot windows, no plot_model picture (Keras needs
pydot), files in a temporary folder, the results recorded; each change is commented. Runs on
ember only (tf is imported; the .h5 checkpoint is Keras 2's format)."""

import json  # CHANGED: added
import os  # CHANGED: added
import tempfile  # CHANGED: added

import matplotlib  # CHANGED: added, no plot windows

matplotlib.use("Agg")  # CHANGED: added

import ember.tensorflow as tf  # CHANGED: was `import tensorflow as tf`
from ember import keras  # CHANGED: was `from tensorflow import keras`
import numpy as np
import matplotlib.pyplot as plt
from sklearn.metrics import accuracy_score

from corpus_data import forda_tsv  # CHANGED: added (local data)

keras.utils.set_random_seed(0)  # CHANGED: added
os.chdir(tempfile.mkdtemp())  # CHANGED: added (the checkpoint goes to a temporary folder)


def readucr(filename):
    data = np.loadtxt(filename, delimiter="\t")
    y = data[:, 0]
    x = data[:, 1:]
    return x, y.astype(int)


x_train, y_train = readucr(forda_tsv(400, 0))  # CHANGED: was root_url + "FordA_TRAIN.tsv"
x_test, y_test = readucr(forda_tsv(100, 1))  # CHANGED: was root_url + "FordA_TEST.tsv"

classes = np.unique(np.concatenate((y_train, y_test), axis=0))

plt.figure()
for c in classes:
    c_x_train = x_train[y_train == c]
    plt.plot(c_x_train[0], label="class " + str(c))
plt.legend(loc="best")
plt.show()
plt.close()

x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

num_classes = len(np.unique(y_train))

idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]

y_train[y_train == -1] = 0
y_test[y_test == -1] = 0


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])
# CHANGED: keras.utils.plot_model(model, show_shapes=True) left out (pydot)

epochs = 3  # CHANGED: was 500
batch_size = 32

callbacks = [
    keras.callbacks.ModelCheckpoint(
        "best_model.h5", save_best_only=True, monitor="val_loss"
    ),
    keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001
    ),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
]
model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    callbacks=callbacks,
    validation_split=0.2,
    verbose=1,
)

model = keras.models.load_model("best_model.h5")

y_pred = model.predict(x_test).argmax(axis=1)

print("Test accuracy", accuracy_score(y_pred, y_test))

metric = "accuracy"
plt.figure()
plt.plot(history.history[metric])
plt.plot(history.history["val_" + metric])
plt.title("model " + metric)
plt.ylabel(metric, fontsize="large")
plt.xlabel("epoch", fontsize="large")
plt.legend(["train", "val"], loc="best")
plt.show()
plt.close()
print("RESULT", json.dumps({"test_accuracy": float(accuracy_score(y_pred, y_test)),  # CHANGED: added
                            "history": history.history}))
