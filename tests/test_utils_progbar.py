"""ember.utils.Progbar against keras.utils.Progbar: the same running means and final line
(with the timings, which differ run to run, blanked)."""

from __future__ import annotations

import io
import re

import pytest

import ember as em
from keras_oracle import run_keras

UPDATES = [(1, [("loss", 0.9), ("acc", 0.5)]), (3, [("loss", 0.6), ("acc", 0.6)]),
           (4, [("loss", 0.5), ("acc", 0.7), ("lr", 0.01)]), (6, [("loss", 0.2)])]

SNIPPET = """
import io, contextlib
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    bar = keras.utils.Progbar(6, verbose=2, stateful_metrics=["lr"])
    for current, values in %r:
        bar.update(current, values)
        if current == 4:
            out["means"] = np.array([bar._values[k][0] / bar._values[k][1]
                                     for k in ("loss", "acc", "lr")])
out["line"] = np.array(buf.getvalue())
"""


def blank_times(text):
    return re.sub(r"\d+(us|ms|s)(/step)?", "T", text)


def test_means_and_final_line_match_keras(tmp_path):
    want = run_keras(SNIPPET % (UPDATES,), tmp_path)
    out = io.StringIO()
    bar = em.utils.Progbar(6, verbose=2, stateful_metrics=["lr"], stream=out)
    for current, values in UPDATES:
        bar.update(current, values)
        if current == 4:
            means = [bar.mean(k) for k in ("loss", "acc", "lr")]
            assert means == pytest.approx(want["means"].tolist())
    assert blank_times(out.getvalue()) == blank_times(str(want["line"]))


def test_verbose_one_draws_a_bar_and_add_advances():
    out = io.StringIO()
    bar = em.utils.Progbar(10, verbose=1, interval=0, stream=out)
    bar.add(5, [("loss", 1.0)])
    bar.add(5, [("loss", 3.0)])
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(" 5/10 [=========>..........] - ETA:")
    assert lines[-1].startswith("10/10 [====================]") and "loss: 3.0000" in lines[-1]
    unknown = io.StringIO()
    em.utils.Progbar(None, interval=0, stream=unknown).update(7)
    assert "7/Unknown" in unknown.getvalue()


def test_bad_arguments():
    with pytest.raises(ValueError, match="Progbar: verbose must be 0, 1 or 2"):
        em.utils.Progbar(3, verbose=5)
