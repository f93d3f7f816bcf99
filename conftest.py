"""Every test and doctest starts from the same state: seed 0, float32, fresh layer names."""

import pytest

import ember as em


@pytest.fixture(autouse=True)
def _fresh_state():
    em.utils.set_random_seed(0)
    em.set_floatx("float32")
    em.layers.clear_session()
    yield
    em.set_floatx("float32")
