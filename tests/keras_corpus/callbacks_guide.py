"""Writing your own callbacks: the CustomCallback that reports the keys of `logs` in every hook.
Source: https://keras.io/guides/writing_your_own_callbacks/
Changes: the import, the data (synthetic arrays instead of MNIST), prints collected into a dict
for the comparison; each change is commented."""

import json

import numpy as np

from ember import keras  # CHANGED: was `import keras`

keras.utils.set_random_seed(0)  # CHANGED: added
SEEN = {}  # CHANGED: added; the guide prints the keys, this records them too


def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


# CHANGED: synthetic regression data instead of flattened MNIST
x_train = np.random.RandomState(0).rand(1000, 784).astype("float32")
y_train = x_train[:, :10].sum(axis=1)
x_test, y_test = x_train[:200], y_train[:200]


class CustomCallback(keras.callbacks.Callback):
    def _see(self, hook, logs):  # CHANGED: added (records instead of only printing)
        SEEN.setdefault(hook, sorted(logs.keys()))

    def on_train_begin(self, logs=None):
        keys = list(logs.keys())
        print("Starting training; got log keys: {}".format(keys))
        self._see("on_train_begin", logs)

    def on_train_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop training; got log keys: {}".format(keys))
        self._see("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        keys = list(logs.keys())
        print("Start epoch {} of training; got log keys: {}".format(epoch, keys))
        self._see("on_epoch_begin", logs)

    def on_epoch_end(self, epoch, logs=None):
        keys = list(logs.keys())
        print("End epoch {} of training; got log keys: {}".format(epoch, keys))
        self._see("on_epoch_end", logs)

    def on_test_begin(self, logs=None):
        keys = list(logs.keys())
        print("Start testing; got log keys: {}".format(keys))
        self._see("on_test_begin", logs)

    def on_test_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop testing; got log keys: {}".format(keys))
        self._see("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        keys = list(logs.keys())
        print("Start predicting; got log keys: {}".format(keys))
        self._see("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop predicting; got log keys: {}".format(keys))
        self._see("on_predict_end", logs)

    def on_train_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Training: start of batch {}; got log keys: {}".format(batch, keys))
        self._see("on_train_batch_begin", logs)

    def on_train_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Training: end of batch {}; got log keys: {}".format(batch, keys))
        self._see("on_train_batch_end", logs)

    def on_test_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Evaluating: start of batch {}; got log keys: {}".format(batch, keys))
        self._see("on_test_batch_begin", logs)

    def on_test_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Evaluating: end of batch {}; got log keys: {}".format(batch, keys))
        self._see("on_test_batch_end", logs)

    def on_predict_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Predicting: start of batch {}; got log keys: {}".format(batch, keys))
        self._see("on_predict_batch_begin", logs)

    def on_predict_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Predicting: end of batch {}; got log keys: {}".format(batch, keys))
        self._see("on_predict_batch_end", logs)


model = get_model()
model.fit(
    x_train,
    y_train,
    batch_size=128,
    epochs=1,
    verbose=0,
    validation_split=0.5,
    callbacks=[CustomCallback()],
)

res = model.evaluate(
    x_test, y_test, batch_size=128, verbose=0, callbacks=[CustomCallback()]
)

res = model.predict(x_test, batch_size=128, callbacks=[CustomCallback()])
print("RESULT", json.dumps({"hooks": SEEN}))  # CHANGED: added
