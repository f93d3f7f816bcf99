"""``Hashing``: strings (or integers, hashed as their decimal text) -> bins, as Keras'
``Hashing`` layer: bin = FarmHash Fingerprint64(text) % num_bins (TensorFlow's
``to_hash_bucket_fast``), shifted by one when a ``mask_value`` takes bin 0.

FarmHash's Fingerprint64 (farmhashna::Hash64) is written out below in Python: the bins are
the ones Keras and TensorFlow give, so a model trained there hashes the same way here.

Example:
    >>> import numpy as np, ember as em
    >>> em.layers.Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"]])).numpy().ravel().tolist()
    [1, 0, 1]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.autograd.tensor import Tensor, wrap_array
from ember.layers._raw_inputs import RawInputs, as_array
from ember.layers.base import Layer
from ember.layers.category_encoding import encode, encoded_shape
from ember.serialization import register

_M = (1 << 64) - 1
K0, K1, K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F


def _f64(s: bytes, i: int) -> int:
    return int.from_bytes(s[i:i + 8], "little")


def _f32(s: bytes, i: int) -> int:
    return int.from_bytes(s[i:i + 4], "little")


def _rot(v: int, shift: int) -> int:
    return v if shift == 0 else ((v >> shift) | (v << (64 - shift))) & _M


def _mix(v: int) -> int:
    return v ^ (v >> 47)


def _len16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & _M
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M
    b ^= b >> 47
    return (b * mul) & _M


def _len0to16(s: bytes) -> int:
    n = len(s)
    if n >= 8:
        mul = K2 + n * 2
        a = (_f64(s, 0) + K2) & _M
        b = _f64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M
        d = ((_rot(a, 25) + b) * mul) & _M
        return _len16(c, d, mul)
    if n >= 4:
        mul = K2 + n * 2
        return _len16((n + (_f32(s, 0) << 3)) & _M, _f32(s, n - 4), mul)
    if n > 0:
        y = (s[0] + (s[n >> 1] << 8)) & 0xFFFFFFFF
        z = (n + (s[n - 1] << 2)) & 0xFFFFFFFF
        return (_mix(((y * K2) ^ (z * K0)) & _M) * K2) & _M
    return K2


def _len17to32(s: bytes) -> int:
    n = len(s)
    mul = K2 + n * 2
    a = (_f64(s, 0) * K1) & _M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M
    d = (_f64(s, n - 16) * K2) & _M
    return _len16((_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M,
                  (a + _rot((b + K2) & _M, 18) + c) & _M, mul)


def _len33to64(s: bytes) -> int:
    n = len(s)
    mul = K2 + n * 2
    a = (_f64(s, 0) * K2) & _M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M
    d = (_f64(s, n - 16) * K2) & _M
    y = (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M
    z = _len16(y, (a + _rot((b + K2) & _M, 18) + c) & _M, mul)
    e = (_f64(s, 16) * mul) & _M
    f = _f64(s, 24)
    g = ((y + _f64(s, n - 32)) * mul) & _M
    h = ((z + _f64(s, n - 24)) * mul) & _M
    return _len16((_rot((e + f) & _M, 43) + _rot(g, 30) + h) & _M,
                  (e + _rot((f + a) & _M, 18) + g) & _M, mul)


def _weak32(s: bytes, i: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = _f64(s, i), _f64(s, i + 8), _f64(s, i + 16), _f64(s, i + 24)
    a = (a + w) & _M
    b = _rot((b + a + z) & _M, 21)
    c = a
    a = (a + x + y) & _M
    b = (b + _rot(a, 44)) & _M
    return (a + z) & _M, (b + c) & _M


def fingerprint64(s: bytes) -> int:
    """FarmHash's Fingerprint64 of ``s`` (TensorFlow's string fingerprint)."""
    n = len(s)
    if n <= 16:
        return _len0to16(s)
    if n <= 32:
        return _len17to32(s)
    if n <= 64:
        return _len33to64(s)
    seed = 81
    x = seed
    y = (seed * K1 + 113) & _M
    z = (_mix((y * K2 + 113) & _M) * K2) & _M
    v, w = [0, 0], [0, 0]
    x = (x * K2 + _f64(s, 0)) & _M
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    pos = 0
    while True:
        x = (_rot((x + y + v[0] + _f64(s, pos + 8)) & _M, 37) * K1) & _M
        y = (_rot((y + v[1] + _f64(s, pos + 48)) & _M, 42) * K1) & _M
        x ^= w[1]
        y = (y + v[0] + _f64(s, pos + 40)) & _M
        z = (_rot((z + w[0]) & _M, 33) * K1) & _M
        v = list(_weak32(s, pos, (v[1] * K1) & _M, (x + w[0]) & _M))
        w = list(_weak32(s, pos + 32, (z + w[1]) & _M, (y + _f64(s, pos + 16)) & _M))
        z, x = x, z
        pos += 64
        if pos == end:
            break
    mul = K1 + ((z & 0xFF) << 1)
    pos = last64
    w[0] = (w[0] + ((n - 1) & 63)) & _M
    v[0] = (v[0] + w[0]) & _M
    w[0] = (w[0] + v[0]) & _M
    x = (_rot((x + y + v[0] + _f64(s, pos + 8)) & _M, 37) * mul) & _M
    y = (_rot((y + v[1] + _f64(s, pos + 48)) & _M, 42) * mul) & _M
    x ^= (w[1] * 9) & _M
    y = (y + v[0] * 9 + _f64(s, pos + 40)) & _M
    z = (_rot((z + w[0]) & _M, 33) * mul) & _M
    v = list(_weak32(s, pos, (v[1] * mul) & _M, (x + w[0]) & _M))
    w = list(_weak32(s, pos + 32, (z + w[1]) & _M, (y + _f64(s, pos + 16)) & _M))
    z, x = x, z
    return _len16((_len16(v[0], w[0], mul) + _mix(y) * K0 + z) & _M,
                  (_len16(v[1], w[1], mul) + x) & _M, mul)


@register()
class Hashing(RawInputs, Layer):
    """Hash each input to one of ``num_bins`` bins (see the module docstring); with a
    ``mask_value``, that value maps to 0 and the rest to ``1 + hash % (num_bins - 1)``.
    ``output_mode`` "int" (bin ids) or "one_hot" / "multi_hot" / "count" vectors."""

    reads_strings = True  # fit and predict let text through to it

    def __init__(self, num_bins: int, mask_value: Any = None, salt: Any = None,
                 output_mode: str = "int", sparse: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 1:
            raise ValueError(f"Hashing: num_bins must be a positive integer; got {num_bins!r}")
        if mask_value is not None and num_bins < 2:
            raise ValueError("Hashing: with a mask_value, num_bins must be at least 2")
        if salt is not None:
            raise ValueError("Hashing: salt (TensorFlow's keyed SipHash) is not supported by "
                             "ember; leave it None")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(f"Hashing: output_mode must be 'int', 'one_hot', 'multi_hot' or "
                             f"'count'; got {output_mode!r}")
        if sparse:
            raise ValueError("Hashing: sparse outputs are not supported by ember")
        self.num_bins, self.mask_value, self.salt = num_bins, mask_value, None
        self.output_mode, self.sparse = output_mode, False
        self.built = True

    def _bins_of_uniques(self, uniques: list) -> np.ndarray:
        """The bin of each distinct value (the Python hash runs once per distinct value)."""
        masked = self.mask_value is not None
        mod = self.num_bins - 1 if masked else self.num_bins
        fp = fingerprint64
        out = []
        for value in uniques:
            kind = type(value)
            if kind is str:
                data = value.encode("utf-8")
            elif kind is bytes:
                data = value
            elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                data = str(int(value)).encode()  # tf.strings.as_string of an integer
            elif isinstance(value, (str, bytes)):  # subclasses (np.str_, np.bytes_)
                data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            else:
                raise ValueError(f"Hashing: expected strings or integers; got "
                                 f"{type(value).__name__} {value!r}")
            out.append(fp(data) % mod)
        bins = np.array(out, dtype=np.int64)
        return bins + 1 if masked else bins

    def bins(self, values: np.ndarray) -> np.ndarray:
        """The bin (int64) of each element of ``values``, same shape: each distinct value
        is hashed once (integers found by np.unique; text by a dict, which needs no sort),
        then the bins are gathered back."""
        arr = np.asarray(values)
        flat = arr.reshape(-1)
        if flat.dtype.kind not in "iuUSO" or flat.dtype.kind == "b":
            raise ValueError(f"Hashing: expected strings or integers; got an array of "
                             f"dtype {arr.dtype}")
        if flat.dtype.kind in "iu":
            uniques, inverse = np.unique(flat, return_inverse=True)
            distinct = uniques.tolist()
        else:
            items = flat.tolist()
            distinct = list(dict.fromkeys(items))  # first-seen order; C-level loops only
            position = {v: i for i, v in enumerate(distinct)}
            inverse = np.fromiter(map(position.__getitem__, items), np.int64, len(items))
            kinds = {str if isinstance(v, (str, bytes)) else int if isinstance(
                v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) else type(v)
                for v in distinct}
            if len(kinds) > 1:
                raise ValueError(f"Hashing: expected strings or integers, not a mix; got "
                                 f"{', '.join(sorted(k.__name__ for k in kinds))}")
        bins = self._bins_of_uniques(distinct)[inverse.reshape(-1)]
        if self.mask_value is not None:
            bins[flat == self.mask_value] = 0
        return bins.reshape(arr.shape)

    def call(self, inputs: Any) -> Tensor:
        bins = self.bins(as_array(inputs))
        if self.output_mode == "int":
            return wrap_array(bins)
        return wrap_array(encode(bins, self.num_bins, self.output_mode, where="Hashing"))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return encoded_shape(input_shape, self.output_mode, self.num_bins)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_bins": self.num_bins,
                "mask_value": self.mask_value, "salt": None, "output_mode": self.output_mode,
                "sparse": False}

