"""The functional API guide's multi-input, multi-output model (ticket ranking).
Source: https://keras.io/guides/functional_api/ ("Models with multiple inputs and outputs")
Changes: the import, 2 epochs on 256 seeded dummy samples (the guide uses 1280 random ones), a
seed, and the final losses recorded; each change is commented."""

import json

import numpy as np

from ember import keras  # CHANGED: was `import keras`
from ember.keras import layers  # CHANGED: was `from keras import layers`

keras.utils.set_random_seed(0)  # CHANGED: added

num_tags = 12  # Number of unique issue tags
num_words = 10000  # Size of vocabulary obtained when preprocessing text data
num_departments = 4  # Number of departments for predictions

title_input = keras.Input(shape=(None,), name="title")  # Variable-length sequence of ints
body_input = keras.Input(shape=(None,), name="body")  # Variable-length sequence of ints
tags_input = keras.Input(shape=(num_tags,), name="tags")  # Binary vectors of size `num_tags`

# Embed each word in the title into a 64-dimensional vector
title_features = layers.Embedding(num_words, 64)(title_input)
# Embed each word in the text into a 64-dimensional vector
body_features = layers.Embedding(num_words, 64)(body_input)

# Reduce sequence of embedded words in the title into a single 128-dimensional vector
title_features = layers.LSTM(128)(title_features)
# Reduce sequence of embedded words in the body into a single 32-dimensional vector
body_features = layers.LSTM(32)(body_features)

# Merge all available features into a single large vector via concatenation
x = layers.concatenate([title_features, body_features, tags_input])

# Stick a logistic regression for priority prediction on top of the features
priority_pred = layers.Dense(1, name="priority")(x)
# Stick a department classifier on top of the features
department_pred = layers.Dense(num_departments, name="department")(x)

# Instantiate an end-to-end model predicting both priority and department
model = keras.Model(
    inputs=[title_input, body_input, tags_input],
    outputs={"priority": priority_pred, "department": department_pred},
)

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "priority": keras.losses.BinaryCrossentropy(from_logits=True),
        "department": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.2},
)

# Dummy input data
rng = np.random.RandomState(0)  # CHANGED: seeded, 256 samples instead of 1280
title_data = rng.randint(num_words, size=(256, 10))
body_data = rng.randint(num_words, size=(256, 100))
tags_data = rng.randint(2, size=(256, num_tags)).astype("float32")

# Dummy target data
priority_targets = rng.random_sample(size=(256, 1))
dept_targets = rng.randint(2, size=(256, num_departments))

history = model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=2,
    batch_size=32,
)
print("RESULT", json.dumps({"loss": history.history["loss"][-1]}))  # CHANGED: added
