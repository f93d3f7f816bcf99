"""The ``Distribution`` base class and the helpers every distribution shares.

Names and semantics follow ``torch.distributions``: a distribution has a ``batch_shape`` (a
batch of independent distributions with different parameters) and an ``event_shape`` (the
shape of one draw: ``()`` for scalars, ``(k,)`` for a Multinomial's counts). ``sample(s)``
returns ``s + batch_shape + event_shape``; ``log_prob(value)`` broadcasts ``value`` against
``batch_shape + event_shape`` and returns a tensor without the event axes. Parameters are
tensors and everything computed from them is built from ember ops, so gradients flow.
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.mode import no_grad
from ember.autograd.tensor import Tensor, as_tensor, wrap_array
from ember.backend import xp_of
from ember.ops import astype, broadcast_to, clip, log, log1p, sqrt


class Distribution:
    """Base class: shapes, argument validation and the shared parts of the API.

    Subclasses set ``support`` (a phrase for error messages), implement ``_in_support``,
    ``log_prob``, ``mean``, ``variance``, ``entropy`` and ``sample`` (or ``rsample``).
    ``validate_args=None`` uses the default (True, as in PyTorch), which checks parameters at
    construction and values in ``log_prob``; pass False to skip the checks (they cost a
    device-to-host copy on GPUs).
    """

    has_rsample = False
    has_enumerate_support = False
    support = "real numbers"
    _default_validate_args = True

    def __init__(self, batch_shape: tuple = (), event_shape: tuple = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = tuple(int(n) for n in batch_shape)
        self._event_shape = tuple(int(n) for n in event_shape)
        self._validate_args = (Distribution._default_validate_args if validate_args is None
                               else bool(validate_args))

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Switch argument validation on or off for distributions created afterwards."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False; got {value!r}")
        Distribution._default_validate_args = value

    # ------------------------------------------------------------------ shapes
    @property
    def batch_shape(self) -> tuple:
        """The shape over which parameters are batched (independent distributions)."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        """The shape of a single draw."""
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> tuple:
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        try:
            sample_shape = tuple(int(n) for n in sample_shape)
        except TypeError:
            raise TypeError(f"{type(self).__name__}.sample: sample_shape must be a tuple of "
                            f"ints; got {sample_shape!r}") from None
        if any(n < 0 for n in sample_shape):
            raise ValueError(f"{type(self).__name__}.sample: sample_shape must not be negative; "
                             f"got {sample_shape}")
        return sample_shape + self._batch_shape + self._event_shape

    # ------------------------------------------------------------------ the API
    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Draw ``sample_shape + batch_shape + event_shape`` values (no gradient)."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A reparameterized sample: differentiable in the parameters (Normal only)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no reparameterized sample (rsample): its draws are "
            "discrete, so no gradient flows through them; use sample() and, for gradients, "
            "log_prob (the score-function / REINFORCE estimator)")

    def log_prob(self, value: Any) -> Tensor:
        """The log of the density (or mass) at ``value``, differentiable in the parameters."""
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value: Any) -> Tensor:
        """The cumulative distribution function at ``value``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value: Any) -> Tensor:
        """The quantile function (inverse CDF): the x with cdf(x) = ``value``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    # SciPy's names, for the statistics a course does with scipy.stats
    def pdf(self, value: Any) -> Tensor:
        """The density (or mass) at ``value``: exp(log_prob(value)) (SciPy's pdf / pmf)."""
        from ember.ops import exp

        return exp(self.log_prob(value))

    def sf(self, value: Any) -> Tensor:
        """The survival function P(X > value) = 1 - cdf(value) (SciPy's name)."""
        return 1 - self.cdf(value)

    def ppf(self, value: Any) -> Tensor:
        """The percent-point function, SciPy's name for ``icdf``."""
        return self.icdf(value)

    def entropy(self) -> Tensor:
        """The entropy -E[log p(X)], one value per batch element (in nats)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """All values of a finite support along a new leading axis (see subclasses)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no finite support to enumerate")

    @property
    def mean(self) -> Tensor:
        """E[X]."""
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        """The most likely value."""
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        """Var[X] = E[(X - E[X])^2]."""
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation, sqrt(variance)."""
        return sqrt(self.variance)

    # ------------------------------------------------------------------ validation
    def _in_support(self, value: Any) -> Any:
        """A boolean array: which entries of ``value`` (an array) lie in the support."""
        return value == value  # real numbers: anything but NaN

    def _value(self, value: Any, like: Tensor) -> Tensor:
        """``value`` as a tensor in ``like``'s float type, checked when validation is on."""
        v = as_tensor(value, like)
        if v.data.dtype.kind != "f":
            v = astype(v, like.data.dtype)
        if self._validate_args:
            self._validate_sample(v)
        return v

    def _validate_sample(self, value: Tensor) -> None:
        name = type(self).__name__
        full = self._batch_shape + self._event_shape
        ev = self._event_shape
        if ev and tuple(value.shape[value.ndim - len(ev):]) != ev:
            raise ValueError(f"{name}.log_prob: the last axes of value must match event_shape "
                             f"{ev}; got value of shape {tuple(value.shape)}")
        try:
            backend.numpy_module().broadcast_shapes(tuple(value.shape), full)
        except ValueError:
            raise ValueError(f"{name}.log_prob: value of shape {tuple(value.shape)} does not "
                             f"broadcast with batch_shape + event_shape {full}") from None
        ok = self._in_support(value.data)
        if not bool(xp_of(ok).all(ok)):
            bad = _offending(value.data, ok)
            raise ValueError(f"{name}.log_prob: value must lie in the support ({self.support}); "
                             f"got {_show(bad)}")

    def _check_param(self, pname: str, param: Tensor, ok: Any, expected: str) -> None:
        """Raise a ValueError naming the parameter when ``ok`` (a bool array) has a False."""
        if self._validate_args and not bool(xp_of(ok).all(ok)):
            bad = _offending(param.data, ok)
            raise ValueError(f"{type(self).__name__}: {pname} must be {expected}; got "
                             f"{_show(bad)}")

    def __repr__(self) -> str:
        parts = []
        for pname in self._repr_params():
            t = getattr(self, pname)
            if isinstance(t, Tensor):
                shown = (f"{t.item():.6g}" if t.size == 1 and t.ndim == 0
                         else f"shape {tuple(t.shape)}")
            else:
                shown = repr(t)
            parts.append(f"{pname}: {shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _repr_params(self) -> tuple:
        return ()


def _offending(values: Any, ok: Any) -> Any:
    """The entries of ``values`` where ``ok`` is False (the two broadcast together)."""
    xp = xp_of(values)
    shape = backend.numpy_module().broadcast_shapes(values.shape, ok.shape)
    return xp.broadcast_to(values, shape)[~xp.broadcast_to(ok, shape)]


def _show(bad: Any) -> str:
    """A few offending values for an error message."""
    vals = backend.to_numpy(bad).ravel()
    head = ", ".join(f"{float(v):.6g}" for v in vals[:5])
    return f"{head}, ... ({vals.size} values)" if vals.size > 5 else head


def broadcast_all(*values: Any) -> list[Tensor]:
    """Float tensors of one common shape; Python numbers take the first tensor's float type.

    The broadcast is recorded (``broadcast_to``), so gradients reach the original parameters.
    """
    like = next((v for v in values if isinstance(v, Tensor) and v.data.dtype.kind == "f"),
                None)
    ts = []
    for v in values:
        t = as_tensor(v, like)
        if t.data.dtype.kind != "f":
            t = astype(t, like.data.dtype if like is not None else backend.floatx())
        ts.append(t)
    try:
        shape = backend.numpy_module().broadcast_shapes(*(tuple(t.shape) for t in ts))
    except ValueError:
        shapes = ", ".join(str(tuple(t.shape)) for t in ts)
        raise ValueError(f"parameters of shapes {shapes} cannot be broadcast together") from None
    return [t if tuple(t.shape) == shape else broadcast_to(t, shape) for t in ts]


def probs_or_logits(name: str, probs: Any, logits: Any) -> tuple[Any, bool]:
    """The one parameter given, and whether it is ``probs``; both or neither is an error."""
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: give either `probs` or `logits`, not "
                         f"{'both' if probs is not None else 'neither'}")
    return (probs, True) if probs is not None else (logits, False)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities pulled into [eps, 1 - eps] so their logs stay finite (PyTorch's rule)."""
    eps = float(xp_of(probs.data).finfo(probs.data.dtype).eps)
    return clip(probs, eps, 1.0 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log(p) for categorical probabilities; log(p / (1 - p)) when ``is_binary``."""
    p = clamp_probs(probs)
    return log(p) - log1p(-p) if is_binary else log(p)


def is_integer(a: Any) -> Any:
    """Which entries of a float array are whole numbers."""
    xp = xp_of(a)
    return xp.floor(a) == a


def draw_uniform(shape: tuple, dtype: Any, like: Any) -> Tensor:
    """Uniform [0, 1) draws from ember's seeded generator, on ``like``'s device."""
    xp = xp_of(like)
    dt = dtype if str(dtype) in ("float32", "float64") else "float32"
    return wrap_array(backend.rng(xp).random(shape, dtype=dt).astype(dtype, copy=False))
