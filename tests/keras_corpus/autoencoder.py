"""Convolutional Autoencoder For Image Denoising.
Source: https://keras.io/examples/vision/autoencoder/
(https://github.com/keras-team/keras-io/blob/master/examples/vision/autoencoder.py)
Changes: the imports, a 1000/200-sample local MNIST subset instead of the download, 1 epoch
per fit instead of 50 and 100, no window for the plots, the final losses recorded; each
change is commented."""

import json  # CHANGED: added

import matplotlib  # CHANGED: added, no window for the plots

matplotlib.use("Agg")  # CHANGED: added

import numpy as np
# CHANGED: `import tensorflow as tf` left out (unused, and the program runs on ember)
import matplotlib.pyplot as plt

from ember.keras.models import Model  # CHANGED: was `from tensorflow.keras.models import Model`
from ember.keras.layers import Conv2D, MaxPooling2D, Input, UpSampling2D  # CHANGED: was tensorflow.keras.layers

from corpus_data import mnist_subset  # CHANGED: was `from tensorflow.keras.datasets import mnist`

np.random.seed(0)  # CHANGED: added


def preprocess(dataset):
    """
    Normalizes the supplied dataset and reshapes it into the appropriate format.
    """

    dataset = dataset.astype("float32") / 255.0
    dataset = np.reshape(dataset, (len(dataset), 28, 28, 1))
    return dataset


def noise(dataset):
    """
    Adds random noise to each image in the supplied dataset.
    """

    noise_factor = 0.4
    noisy_dataset = dataset + noise_factor * np.random.normal(
        loc=0.0, scale=1.0, size=dataset.shape
    )

    return np.clip(noisy_dataset, 0.0, 1.0)


def display(dataset1, dataset2):
    """
    Displays ten random images from each one of the supplied datasets.
    """

    n = 10

    indices = np.random.randint(len(dataset1), size=n)
    images1 = dataset1[indices, :]
    images2 = dataset2[indices, :]

    plt.figure(figsize=(20, 4))
    for i, (image1, image2) in enumerate(zip(images1, images2)):
        ax = plt.subplot(2, n, i + 1)
        plt.imshow(image1.reshape(28, 28))
        plt.gray()
        ax.get_xaxis().set_visible(False)
        ax.get_yaxis().set_visible(False)

        ax = plt.subplot(2, n, i + 1 + n)
        plt.imshow(image2.reshape(28, 28))
        plt.gray()
        ax.get_xaxis().set_visible(False)
        ax.get_yaxis().set_visible(False)

    plt.show()
    plt.close()  # CHANGED: added (figures are not shown, so close them)


# We only need images from the dataset. We will never use the target values so
# we aren't going to load them.
(train_dataset, _), (test_dataset, _) = mnist_subset(1000, 200)  # CHANGED: was mnist.load_data()

# Normalize and reshape the data
train_dataset = preprocess(train_dataset)
test_dataset = preprocess(test_dataset)

# Create a copy of the datasets with added noise
noisy_train_dataset = noise(train_dataset)
noisy_test_dataset = noise(test_dataset)

# Display the train dataset and the version with added noise
display(train_dataset, noisy_train_dataset)

input = Input(shape=(28, 28, 1))

# Encoder
x = Conv2D(32, (3, 3), activation="relu", padding="same")(input)
x = MaxPooling2D((2, 2), padding="same")(x)
x = Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = MaxPooling2D((2, 2), padding="same")(x)

# Decoder
x = Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = UpSampling2D((2, 2))(x)
x = Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = UpSampling2D((2, 2))(x)
x = Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

# Autoencoder
autoencoder = Model(input, x)
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
autoencoder.summary()

first = autoencoder.fit(  # CHANGED: the history kept
    x=train_dataset,
    y=train_dataset,
    epochs=1,  # CHANGED: was 50
    batch_size=128,
    shuffle=True,
    validation_data=(test_dataset, test_dataset),
)

predictions = autoencoder.predict(test_dataset)
display(test_dataset, predictions)

second = autoencoder.fit(  # CHANGED: the history kept
    x=noisy_train_dataset,
    y=train_dataset,
    epochs=1,  # CHANGED: was 100
    batch_size=128,
    shuffle=True,
    validation_data=(noisy_test_dataset, test_dataset),
)

predictions = autoencoder.predict(noisy_test_dataset)
display(noisy_test_dataset, predictions)
print("RESULT", json.dumps({"val_loss": [first.history["val_loss"][-1],  # CHANGED: added
                                         second.history["val_loss"][-1]],
                            "params": autoencoder.count_params(),
                            "predictions_shape": list(predictions.shape)}))
