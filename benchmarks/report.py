"""Turn the raw runs into the summary, the markdown report and the targets verdicts.

A *run* is one child process's record (see benchmarks/child.py) plus where it sat in the
schedule: ``threads``, ``workload``, ``contender``, ``round`` and ``warmup``. Ratios against
a peer (or the NumPy loop) are taken per round, between runs that ran back to back, and the
median of those ratios is reported: drift on a shared machine then hits both sides alike.

The *peers* are the frameworks a user could pick instead of ember (PyTorch, Keras on JAX,
Keras on TensorFlow, scikit-learn); the NumPy loop is the floor of this stack, not a peer. On
each workload the fastest peer is the one with the lowest median time, and ember's ratio to it
is the headline figure.

The markdown itself is written by benchmarks/report_markdown.py; its names stay importable
from here (run.py, readme.py, scaling.py and the tests use them as ``report.<name>``).
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from benchmarks.report_markdown import (  # noqa: F401  (re-exported: see the docstring)
    LABELS,
    SHORT,
    TRAINING,
    _extra,
    _f,
    _ratio,
    _row,
    _time,
    first_call_worth,
    machine_text,
    markdown,
    matrix,
    present,
    summary_tables,
)

PEERS = ("torch", "keras_jax", "keras_tf", "sklearn")
# accuracy "equal within noise": one epoch (or 200 LSTM steps) from one seed per round moves
# the test accuracy by a few tenths of a point between seeds
ACCURACY_TOLERANCE = 0.01


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _paired_ratio(runs: list, num: str, den: str, key: str = "time_s") -> float | None:
    """Median over rounds of time(num) / time(den), both from the same round (``key``:
    'time_s' for wall-clock time, 'cpu_s' for the process's CPU time)."""
    by_round: dict = defaultdict(dict)
    for r in runs:
        if r["status"] == "ok" and not r["warmup"] and r.get(key) is not None:
            by_round[r["round"]][r["contender"]] = r[key]
    ratios = [t[num] / t[den] for t in by_round.values() if num in t and den in t and t[den]]
    return _median(ratios)


def summarize(runs: list) -> list[dict]:
    """One row per (threads, workload, contender), in schedule order."""
    groups: dict = {}
    for r in runs:
        groups.setdefault((r["threads"], r["workload"], r["contender"]), []).append(r)
    rows = []
    for (threads, workload, contender), rs in groups.items():
        if workload == "ops":
            continue
        ok = [r for r in rs if r["status"] == "ok" and not r["warmup"]]
        warm = [r for r in rs if r["status"] == "ok" and r["warmup"]]
        row = {"threads": threads, "workload": workload, "contender": contender,
               "status": "ok" if ok else rs[-1]["status"],
               "reason": None if ok else rs[-1].get("reason"), "n": len(ok)}
        if ok:
            times = [r["time_s"] for r in ok]
            same = [r for r in runs if r["threads"] == threads and r["workload"] == workload]
            images = ok[0]["result"].get("images")
            med = statistics.median(times)
            row.update(
                median_s=med, min_s=min(times), max_s=max(times), times_s=times,
                cpu_s=_median([r.get("cpu_s") for r in ok]),
                warmup_s=warm[0]["time_s"] if warm else None,
                vs_torch=None if contender == "torch" else _paired_ratio(same, contender,
                                                                         "torch"),
                vs_numpy=_paired_ratio(same, contender, "numpy") if contender == "ember"
                else None,
                vs_torch_cpu=None if contender == "torch" else _paired_ratio(
                    same, contender, "torch", "cpu_s"),
                vs_numpy_cpu=_paired_ratio(same, contender, "numpy", "cpu_s")
                if contender == "ember" else None,
                peak_mib=_median([r.get("peak_mib") for r in ok]),
                before_mib=_median([r.get("rss_before_mib") for r in ok]),
                accuracy=_median([r["result"].get("accuracy") for r in ok]),
                first_s=_median([r["result"].get("first_s") for r in ok]),
                first_extra_s=_median([first_call_extra(r) for r in ok]),
                first_steps=ok[0]["result"].get("first_steps"),
                images=images, per_s=images / med if images and med else None)
        rows.append(row)
    _add_fastest_peer(rows, runs)
    return rows


def first_call_extra(run: dict) -> float | None:
    """What a run's first call (the untimed-for-the-median warm-up: ``warm_steps`` training
    steps, or a predict over a few batches) cost beyond the same work at the steady speed of
    its timed region: Keras' compile / trace time, ember's and PyTorch's first-use costs."""
    res = run.get("result") or {}
    first, images, t = res.get("first_s"), res.get("images"), run.get("time_s")
    if first is None or not images or not t:
        return None
    spec = run.get("spec") or {}
    if run["workload"].startswith("predict_"):
        n = (res.get("outputs") or [0])[0]
        batch = spec.get("predict_batch", 32)
        work = min(n, 2 * batch + n % batch)  # contenders.predict_warm_slice
    else:
        work = (res.get("first_steps") or 0) * spec.get("batch", 32)
    return first - work * t / images


def _add_fastest_peer(rows: list, runs: list) -> None:
    """Per (threads, workload): the fastest peer by median time and the peer with the lowest
    peak memory; ember's row gets its paired ratio to the first and its memory ratio to the
    second."""
    for row in rows:
        if row["contender"] != "ember" or row["status"] != "ok":
            continue
        peers = [r for r in rows if (r["threads"], r["workload"]) ==
                 (row["threads"], row["workload"]) and r["contender"] in PEERS
                 and r["status"] == "ok"]
        if not peers:
            continue
        fastest = min(peers, key=lambda r: r["median_s"])
        same = [r for r in runs if (r["threads"], r["workload"]) ==
                (row["threads"], row["workload"])]
        lowest = min(peers, key=lambda r: r["peak_mib"] or float("inf"))
        row.update(fastest_peer=fastest["contender"],
                   vs_fastest=_paired_ratio(same, "ember", fastest["contender"]),
                   vs_fastest_cpu=_paired_ratio(same, "ember", fastest["contender"], "cpu_s"),
                   lowest_peak_peer=lowest["contender"],
                   peak_vs_lowest=row["peak_mib"] / lowest["peak_mib"]
                   if row["peak_mib"] and lowest["peak_mib"] else None)


def targets(rows: list, epochs: int) -> list[dict]:
    """Issue 22's targets, each with its measured value and whether it is met: ember at most
    1.0 x the fastest peer on every timed workload, peak memory at most the lowest peer's on
    every training workload, test accuracy within noise of the peers'; and the dense epoch
    within 1.15 x the hand-written NumPy loop (the floor)."""
    out = []

    def add(threads: int, name: str, value: float | None, ok: bool | None, note: str) -> None:
        verdict = "unavailable" if ok is None else "met" if ok else "NOT met"
        out.append({"threads": threads, "target": name, "value": value, "verdict": verdict,
                    "note": note})

    for threads in sorted({r["threads"] for r in rows}):
        names = [w for w in ("dense", "convnet", "lstm", "predict_dense", "predict_convnet")
                 if any(r["threads"] == threads and r["workload"] == w for r in rows)]
        for w in names:
            ember = _row(rows, threads, w, "ember")
            what = f"time per {epochs} epoch(s)" if w == "dense" else "time"
            name = f"{w}: ember <= 1.0 x the fastest peer ({what})"
            if ember is None or ember["status"] != "ok":
                add(threads, name, None, None, ember["reason"] if ember else "not run")
                continue
            if ember.get("vs_fastest") is None:
                add(threads, name, None, None, "no peer ran")
                continue
            add(threads, name, ember["vs_fastest"], ember["vs_fastest"] <= 1.0,
                f"fastest peer: {SHORT.get(ember['fastest_peer'])}; CPU-time ratio "
                f"{_f(ember.get('vs_fastest_cpu'), '.2f')}")
        for w in (n for n in names if n in TRAINING):
            ember = _row(rows, threads, w, "ember")
            name = f"{w}: ember peak memory <= the lowest peer's"
            if not ember or ember["status"] != "ok" or ember.get("peak_vs_lowest") is None:
                add(threads, name, None, None, "")
                continue
            low = _row(rows, threads, w, ember["lowest_peak_peer"])
            add(threads, name, ember["peak_vs_lowest"], ember["peak_vs_lowest"] <= 1.0,
                f"{ember['peak_mib']:.0f} vs {low['peak_mib']:.0f} MiB "
                f"({SHORT.get(low['contender'])})")
        for w in (n for n in names if n in TRAINING):
            ember = _row(rows, threads, w, "ember")
            accs = [r["accuracy"] for r in rows if (r["threads"], r["workload"]) == (threads, w)
                    and r["contender"] in PEERS and r["status"] == "ok"
                    and r.get("accuracy") is not None]
            name = (f"{w}: ember test accuracy >= the peers' median - "
                    f"{ACCURACY_TOLERANCE * 100:g} point(s), after the same steps")
            if not ember or ember.get("accuracy") is None or not accs:
                add(threads, name, None, None, "")
                continue
            peers = _median(accs)
            add(threads, name, ember["accuracy"] * 100,
                ember["accuracy"] >= peers - ACCURACY_TOLERANCE,
                f"peers' median {peers * 100:.2f} %")
        if "dense" in names:
            ember = _row(rows, threads, "dense", "ember")
            value = ember.get("vs_numpy") if ember else None
            add(threads, "dense: ember <= 1.15 x NumPy loop", value,
                None if value is None else value <= 1.15, "the floor of this stack")
    return out


def ops_tables(runs: list) -> dict:
    """threads -> {op: {contender: median µs, 'ratio': ember/torch per repeat, medianed}}."""
    tables: dict = {}
    for r in runs:
        if r["workload"] != "ops" or r["status"] != "ok" or r["warmup"]:
            continue
        table = tables.setdefault(r["threads"], defaultdict(lambda: defaultdict(list)))
        for op, times in r["result"]["ops_us"].items():
            for k, v in times.items():
                table[op][k].extend(v)
            table[op]["ratio"].extend(e / t for e, t in zip(times.get("ember", []),
                                                             times.get("torch", [])))
    return {th: {op: {k: _median(v) for k, v in t.items()} for op, t in tab.items()}
            for th, tab in tables.items()}
