"""ember: a deep-learning framework written from first principles on NumPy (and CuPy).

Example:
    >>> import ember as em
    >>> x = em.tensor(2.0, requires_grad=True)
    >>> y = em.sin(x ** 2)
    >>> y.backward()
    >>> print(f"{x.grad.item():.5f}")   # cos(4) * 4
    -2.61457
"""

from ember import backend
from ember.autograd import (
    GradientTape,  # noqa: F401 - tf.GradientTape, for TensorFlow-style loops
    Tensor,
    as_tensor,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.autograd import engine as autograd
from ember.autograd.functional import grad, value_and_grad
from ember.autograd.mode import inference_mode
from ember.backend import floatx, set_floatx
from ember.creation import (
    arange,
    empty,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from ember.dtypes import *  # noqa: F403 - em.float32, em.int64, ... (NumPy dtypes)
from ember.dtypes import __all__ as _dtypes_all
from ember.dtypes import bool, float, int  # noqa: F401 - torch.bool / float / int
from ember.gradcheck import GradcheckError, gradcheck, gradgradcheck
from ember.ops import *  # noqa: F403 - the op namespace is the public API
from ember.ops import __all__ as _ops_all

__version__ = "0.1.0"
# Nothing process-wide is changed here: the BLAS thread policy and the glibc heap tuning are
# applied by the trainer (see ember.blas, ember.heap).

# Submodules load on first use (`em.layers`, `em.linalg`, ...): `import ember` stays light and
# optional dependencies are imported only by the parts that need them.
_SUBMODULES = {
    "activations", "applications", "callbacks", "cli", "cuda", "data", "datasets", "devices",
    "distributions", "explain", "initializers", "interop", "keras", "layers", "linalg",
    "losses", "metrics", "model_selection", "models", "onnx", "optimizers", "regularizers",
    "saving", "serialization", "sklearn", "tune", "nn", "distributed",
    "utils",  # loaded on first use too: it names plotting and file helpers above the core
    "stats", "integrate",
    "constraints",
}
_SUBMODULES |= {"blas", "heap", "kernels"}  # process settings (applied by training) and kernels
# Top-level names that live in a submodule, as NumPy has np.einsum next to np.linalg.
_LAZY_NAMES = {
    "einsum": "ember.ops.linalg", "cross": "ember.ops.linalg", "trace": "ember.ops.linalg",
    "Sequential": "ember.models", "Model": "ember.models", "Input": "ember.models",
    "device": "ember.devices", "Variable": "ember.variable",
}


def __getattr__(name: str):
    import importlib

    if name in _SUBMODULES:
        try:
            return importlib.import_module(f"ember.{name}")
        except ImportError as error:  # an optional dependency missing: hasattr() stays False
            raise AttributeError(f"module 'ember' has no attribute {name!r}: importing "
                                 f"ember.{name} failed ({error})") from error
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'ember' has no attribute {name!r}")


def __dir__() -> list[str]:
    # dir(em) shows the lazily loaded submodules and names too, as tab completion expects
    return sorted(set(globals()) | _SUBMODULES | set(_LAZY_NAMES))


__all__ = [
    "Tensor", "as_tensor", "autograd", "backend", "enable_grad", "floatx", "grad",
    "gradcheck", "gradgradcheck", "GradcheckError", "is_grad_enabled", "no_grad",
    "set_floatx", "set_grad_enabled", "utils", "value_and_grad", "arange", "empty", "eye",  # noqa: F405 - utils loads on first use
    "from_numpy", "full", "full_like", "linspace", "ones", "ones_like", "rand", "rand_like",
    "randint", "randn", "randn_like", "tensor", "zeros", "zeros_like", *_ops_all,
    "inference_mode", "from_dlpack", "is_tensor", "manual_seed",
    *_dtypes_all,
]
