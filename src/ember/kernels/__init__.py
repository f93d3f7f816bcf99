"""Fast kernels: measured variants of ember's reference ops, kept apart from them.

``ember.ops`` holds each op as a reader learns it (the math in a few lines, forward and
backward side by side). The speed work lives here, one module per kernel, each with its
measurements in its docstring, registered against the reference op it replaces:

- ``conv_patches``: conv2d / conv1d (transposed patches below 8 channels, the bias folded into
  the kernel matrix, an in-place relu epilogue, the patches-alias-x check);
- ``max_pool_backward``: max_pool2d / max_pool1d backward (tiling windows routed in one pass,
  float masks, no accumulation where windows do not overlap);
- ``dense_relu``: linear with a fused relu and array-only backward;
- ``rnn_simple``, ``rnn_lstm``, ``rnn_gru``: whole-sequence recurrences with hand-written
  BPTT on raw arrays (buffers from ``rnn_scratch``, owned explicitly);
- ``adam_fused``: Adam's update in one compiled pass (numba, the ``fast`` extra; registered
  only where numba is installed), bit for bit the NumPy passes' result;
- ``pool_tiles``: max pooling of tiling windows, the forward as the ``max_pool2d_tiles``
  kernel and the backward inside ``max_pool2d``'s (numba, where installed);
- ``lstm_gates``, ``gru_gates``, ``simple_rnn_step``, ``conv_scatter``, ``relu_grad``:
  compiled loops inside the recurrent and ``conv2d`` kernels (the gate arithmetic, for float32
  with ``lstm_gates.tanh32`` inside, a convolution's col2im, the fused relu's mask), used where
  numba is installed (``kernels/compiled.py``).

The fast kernels run by default. Choose the reference path for every op or some of them:

    >>> import ember as em
    >>> with em.kernels.reference():           # every op on its reference path
    ...     em.kernels.selected("lstm")
    'reference'
    >>> em.kernels.selected("lstm")
    'fast'

or ``em.kernels.use_reference(True, ops="conv2d")``, or the environment variable
``EMBER_KERNELS=reference`` for a whole process.
"""

from ember.kernels.registry import (
    Kernel,
    describe,
    reference,
    registered,
    replaces,
    selected,
    use_reference,
)

__all__ = ["Kernel", "describe", "reference", "registered", "replaces", "selected",
           "use_reference"]
