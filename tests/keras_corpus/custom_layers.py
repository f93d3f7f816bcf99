"""Custom layers (the TensorFlow tutorial): layers, a layer subclass, a residual block as a
Model subclass, and a Sequential of convolutions.
Source: https://www.tensorflow.org/tutorials/customization/custom_layers
(https://github.com/tensorflow/docs/blob/master/site/en/tutorials/customization/custom_layers.ipynb)
Changes: the import, the numbers the notebook shows recorded; each change is commented. Runs on
ember only (it calls TensorFlow's tf.zeros, tf.matmul, tf.nn.relu and tf.config)."""

import json  # CHANGED: added

import ember.tensorflow as tf  # CHANGED: was `import tensorflow as tf`

R = {}  # CHANGED: added; what the notebook shows, recorded

print(tf.config.list_physical_devices('GPU'))
layer = tf.keras.layers.Dense(100)
layer = tf.keras.layers.Dense(10, input_shape=(None, 5))
layer(tf.zeros([10, 5]))
layer.variables
layer.kernel, layer.bias
R["dense"] = [len(layer.variables), list(layer.kernel.shape), list(layer.bias.shape)]  # CHANGED: added
class MyDenseLayer(tf.keras.layers.Layer):
  def __init__(self, num_outputs):
    super(MyDenseLayer, self).__init__()
    self.num_outputs = num_outputs

  def build(self, input_shape):
    self.kernel = self.add_weight("kernel",
                                  shape=[int(input_shape[-1]),
                                         self.num_outputs])

  def call(self, inputs):
    return tf.matmul(inputs, self.kernel)

layer = MyDenseLayer(10)
_ = layer(tf.zeros([10, 5])) # Calling the layer `.builds` it.
print([var.name for var in layer.trainable_variables])
R["my_dense"] = [var.name for var in layer.trainable_variables] + [list(_.shape)]  # CHANGED: added
class ResnetIdentityBlock(tf.keras.Model):
  def __init__(self, kernel_size, filters):
    super(ResnetIdentityBlock, self).__init__(name='')
    filters1, filters2, filters3 = filters

    self.conv2a = tf.keras.layers.Conv2D(filters1, (1, 1))
    self.bn2a = tf.keras.layers.BatchNormalization()

    self.conv2b = tf.keras.layers.Conv2D(filters2, kernel_size, padding='same')
    self.bn2b = tf.keras.layers.BatchNormalization()

    self.conv2c = tf.keras.layers.Conv2D(filters3, (1, 1))
    self.bn2c = tf.keras.layers.BatchNormalization()

  def call(self, input_tensor, training=False):
    x = self.conv2a(input_tensor)
    x = self.bn2a(x, training=training)
    x = tf.nn.relu(x)

    x = self.conv2b(x)
    x = self.bn2b(x, training=training)
    x = tf.nn.relu(x)

    x = self.conv2c(x)
    x = self.bn2c(x, training=training)

    x += input_tensor
    return tf.nn.relu(x)


block = ResnetIdentityBlock(1, [1, 2, 3])
_ = block(tf.zeros([1, 2, 3, 3]))
block.layers
len(block.variables)
block.summary()
R["block"] = [len(block.layers), len(block.variables), list(_.shape)]  # CHANGED: added
my_seq = tf.keras.Sequential([tf.keras.layers.Conv2D(1, (1, 1),
                                                    input_shape=(
                                                        None, None, 3)),
                             tf.keras.layers.BatchNormalization(),
                             tf.keras.layers.Conv2D(2, 1,
                                                    padding='same'),
                             tf.keras.layers.BatchNormalization(),
                             tf.keras.layers.Conv2D(3, (1, 1)),
                             tf.keras.layers.BatchNormalization()])
out = my_seq(tf.zeros([1, 2, 3, 3]))  # CHANGED: the output kept
my_seq.summary()
R["seq"] = [list(out.shape), my_seq.count_params()]  # CHANGED: added
print("RESULT", json.dumps(R))  # CHANGED: added
