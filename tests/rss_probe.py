"""Run as ``python rss_probe.py HOW=PATH ...``: after warming up (imports, one small fit, save
and load), load each PATH and print one JSON list: per file the seconds the load took, the
increase of peak RSS over the RSS just before it (MB), and the error it raised.

HOW is load_model, load_weights (into a Dense(2) on 3 features), idx (an idx3 file) or
restore (BackupAndRestore's restore_into). The peak is the process's own high-water mark
(VmHWM), reset before each file through /proc/self/clear_refs; ru_maxrss would also count the
parent's peak, which Linux carries over fork and exec.
"""

import json
import os
import sys
import tempfile
import time


def _status_mb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(key)


def _reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def main(cases):
    import numpy as np

    import ember as em
    from ember.saving import restore_into

    model = em.Sequential([em.layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), verbose=0)
    warm = os.path.join(tempfile.mkdtemp(), "warm.ember")
    model.save(warm)
    em.models.load_model(warm)
    results = []
    for case in cases:
        how, path = case.split("=", 1)
        _reset_peak()
        before = _status_mb("VmRSS")
        start = time.perf_counter()
        error = None
        try:
            if how == "load_model":
                em.models.load_model(path)
            elif how == "load_weights":
                model.load_weights(path)
            elif how == "idx":
                from ember.datasets._idx import load_idx

                load_idx(path, 3, "sha256")
            else:
                restore_into(model, path)
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            error = [type(exc).__name__, str(exc)]
        seconds = time.perf_counter() - start
        rss = max(0.0, _status_mb("VmHWM") - before)
        results.append({"path": path, "seconds": seconds, "rss_mb": rss, "error": error})
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
