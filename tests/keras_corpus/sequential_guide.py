"""The Sequential model guide: add()/pop(), deferred building, Input-first models, a convnet
built step by step, feature extraction from a Sequential's layer outputs, freezing layers.
Source: https://keras.io/guides/sequential_model/
Changes: the imports; the guide's inspection lines (`model.layers`, `layer.weights`, prints)
are recorded for the comparison; each change is commented."""

import json

from ember import keras  # CHANGED: was `import keras`
from ember.keras import layers  # CHANGED: was `from keras import layers`
from ember.keras import ops  # CHANGED: was `from keras import ops`

R = {}  # CHANGED: added; what the guide prints, recorded

model = keras.Sequential()
model.add(layers.Dense(2, activation="relu"))
model.add(layers.Dense(3, activation="relu"))
model.add(layers.Dense(4))
model.pop()
print(len(model.layers))  # 2
R["layers_after_pop"] = len(model.layers)  # CHANGED: added

layer = layers.Dense(3)
R["weights_before_call"] = len(layer.weights)  # CHANGED: added (the guide shows `layer.weights`)
# Call layer on a test input
x = ops.ones((1, 4))
y = layer(x)
R["weight_shapes"] = [list(w.shape) for w in layer.weights]  # CHANGED: added

model = keras.Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)  # No weights at this stage!
# Call the model on a test input
x = ops.ones((1, 4))
y = model(x)
print("Number of weights after calling the model:", len(model.weights))  # 6
R["weights_after_call"] = len(model.weights)  # CHANGED: added
model.summary()

model = keras.Sequential()
model.add(keras.Input(shape=(4,)))
model.add(layers.Dense(2, activation="relu"))
model.summary()
R["input_first_layers"] = len(model.layers)  # CHANGED: added (the guide shows model.layers)

model = keras.Sequential()
model.add(keras.Input(shape=(250, 250, 3)))  # 250x250 RGB images
model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))

# Can you guess what the current output shape is at this point? Probably not.
# Let's just print it:
model.summary()
R["shape_after_pool"] = list(model.output_shape)  # CHANGED: added

# The answer was: (40, 40, 32), so we can keep downsampling...

model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(2))

# And now?
model.summary()

# Now that we have 4x4 feature maps, time to apply global max pooling.
model.add(layers.GlobalMaxPooling2D())

# Finally, we add a classification layer.
model.add(layers.Dense(10))
R["convnet_params"] = model.count_params()  # CHANGED: added
R["convnet_output_shape"] = list(model.output_shape)  # CHANGED: added

initial_model = keras.Sequential(
    [
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(32, 5, strides=2, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
    ]
)
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=[layer.output for layer in initial_model.layers],
)

# Call feature extractor on test input.
x = ops.ones((1, 250, 250, 3))
features = feature_extractor(x)
R["feature_shapes"] = [list(f.shape) for f in features]  # CHANGED: added

model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(10),
    ]
)

# Presumably you would want to first load pre-trained weights.
# CHANGED: model.load_weights(...) left out (no pre-trained file)

# Freeze all layers except the last one.
for layer in model.layers[:-1]:
    layer.trainable = False

# Recompile and train (this will only update the weights of the last layer).
model.compile(optimizer="adam", loss="mse")  # CHANGED: arguments filled in (the guide: ...)
R["trainable_weights"] = len(model.trainable_weights)  # CHANGED: added
R["non_trainable_weights"] = len(model.non_trainable_weights)  # CHANGED: added
print("RESULT", json.dumps(R))  # CHANGED: added
