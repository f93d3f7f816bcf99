"""Turn the raw runs into the summary, the markdown report and the targets verdicts.

A *run* is one child process's record (see benchmarks/child.py) plus where it sat in the
schedule: ``threads``, ``workload``, ``contender``, ``round`` and ``warmup``. Ratios against
a peer (or the NumPy loop) are taken per round, between runs that ran back to back, and the
median of those ratios is reported: drift on a shared machine then hits both sides alike.

The *peers* are the frameworks a user could pick instead of ember (PyTorch, Keras on JAX,
Keras on TensorFlow, scikit-learn); the NumPy loop is the floor of this stack, not a peer. On
each workload the fastest peer is the one with the lowest median time, and ember's ratio to it
is the headline figure.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

TRAINING = ("dense", "convnet", "lstm")
PEERS = ("torch", "keras_jax", "keras_tf", "sklearn")
LABELS = {"ember": "ember (fit API)", "torch": "PyTorch (plain loop)",
          "keras_jax": "Keras 3 on JAX (fit)", "keras_tf": "Keras 3 on TensorFlow (fit)",
          "numpy": "NumPy loop (floor)", "sklearn": "scikit-learn MLPClassifier"}
SHORT = {"ember": "ember", "torch": "PyTorch", "keras_jax": "Keras/JAX", "keras_tf": "Keras/TF",
         "numpy": "NumPy loop", "sklearn": "scikit-learn"}
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


def _row(rows: list, threads: int, workload: str, contender: str) -> dict | None:
    for r in rows:
        if (r["threads"], r["workload"], r["contender"]) == (threads, workload, contender):
            return r
    return None


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


def _f(value: float | None, fmt: str, unit: str = "") -> str:
    return "—" if value is None else f"{value:{fmt}}{unit}"


def _time(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _extra(value: float | None) -> str:
    """A signed time: the first call's cost beyond the steady speed (noise can make it < 0)."""
    if value is None:
        return "—"
    return ("+" if value >= 0 else "−") + _time(abs(value))


def _ratio(value: float | None) -> str:
    return _f(value, ".2f", "x")


def matrix(rows: list, threads: int, workloads: list[str], cell, contenders: list[str],
           extra: list[tuple] = (), label=None) -> list[str]:
    """A markdown table: one line per workload (``label(workload)`` its first column), one
    column per contender (``cell(row)`` the text of one entry), then the ``extra`` columns
    ``(title, fn(ember_row) -> text)``."""
    label = label or str
    lines = ["| workload | " + " | ".join(SHORT.get(c, c) for c in contenders)
             + "".join(f" | {t}" for t, _ in extra) + " |",
             "| --- |" + " ---: |" * (len(contenders) + len(extra))]
    for w in workloads:
        entries = []
        for c in contenders:
            r = _row(rows, threads, w, c)
            entries.append("" if r is None else cell(r) if r["status"] == "ok"
                           else r["status"])
        ember = _row(rows, threads, w, "ember") or {}
        entries += [fn(ember) for _, fn in extra]
        lines.append(f"| {label(w)} | " + " | ".join(entries) + " |")
    return lines


def present(rows: list, threads: int, names: tuple | list) -> list[str]:
    """Those of ``names`` (workloads or contenders) that have a row at ``threads``, in order."""
    have = {(r["workload"], r["contender"]) for r in rows if r["threads"] == threads}
    return [n for n in names if any(n in pair for pair in have)]


def first_call_worth(rows: list, threads: int, workload: str) -> str | None:
    """What ember's small first-call cost is worth on ``workload``, in one sentence: its first
    call's extra cost against each Keras backend's, and for a backend whose steady run is
    faster, how many runs (epochs) it takes that backend to earn its compile time back."""
    ember = _row(rows, threads, workload, "ember")
    if not ember or ember["status"] != "ok" or ember.get("first_extra_s") is None:
        return None
    parts = []
    for c in ("keras_jax", "keras_tf", "torch"):
        peer = _row(rows, threads, workload, c)
        if not peer or peer["status"] != "ok" or peer.get("first_extra_s") is None:
            continue
        saved = peer["first_extra_s"] - ember["first_extra_s"]
        text = f"{SHORT[c]} {_time(peer['first_extra_s'])}"
        gain = ember["median_s"] - peer["median_s"]  # per timed run, > 0: the peer is faster
        if gain > 0 and saved > 0:
            text += f" (its faster steady run earns that back after {saved / gain:.1f} runs)"
        parts.append(text)
    if not parts:
        return None
    return (f"{workload}: ember's first call costs {_time(ember['first_extra_s'])} beyond its "
            f"steady speed; " + ", ".join(parts) + ".")


def summary_tables(rows: list, threads: int) -> list[str]:
    """The per-workload summaries: time with the fastest peer, memory, accuracy, first call."""
    order = ("ember", "torch", "keras_jax", "keras_tf", "numpy", "sklearn")
    contenders = present(rows, threads, order)
    workloads = present(rows, threads, ("dense", "convnet", "lstm", "predict_dense",
                                        "predict_convnet"))
    training = [w for w in workloads if w in TRAINING]
    lines = ["Median time per run, and ember / the fastest peer (paired per round):", ""]
    lines += matrix(rows, threads, workloads, lambda r: _time(r["median_s"]), contenders,
                    [("fastest peer", lambda e: SHORT.get(e.get("fastest_peer"), "—")),
                     ("ember / fastest", lambda e: _ratio(e.get("vs_fastest")))])
    lines += ["", "Peak memory (MiB, the child's VmHWM) and test accuracy after the same steps:",
              ""]
    lines += matrix(rows, threads, training,
                    lambda r: f"{_f(r['peak_mib'], '.0f')} MiB, "
                              f"{_f(r['accuracy'] and r['accuracy'] * 100, '.2f', ' %')}",
                    contenders, [("ember / lowest peer's memory",
                                  lambda e: _ratio(e.get("peak_vs_lowest")))])
    lines += ["", "First call (the warm-up before the timed region: the first training "
              "steps, or a predict over three batches), and what it cost beyond the same work "
              "at the steady speed: Keras compiles (JAX) or traces (TensorFlow) there, ember "
              "loads its numba loops from the disk cache, PyTorch compiles nothing:", ""]
    lines += matrix(rows, threads, workloads,
                    lambda r: f"{_time(r.get('first_s'))} ({_extra(r.get('first_extra_s'))})"
                    if r.get("first_s") is not None else "—", contenders)
    worth = [first_call_worth(rows, threads, w) for w in workloads]
    lines += [""] + [f"- {w}" for w in worth if w]
    return lines


def markdown(meta: dict, rows: list, ops: dict, verdicts: list) -> str:
    """The report as markdown: header, per thread count the summaries, the detailed table and
    the per-op table, then the targets."""
    m = meta["machine"]
    v = m["versions"]
    lines = [
        "# ember end-to-end benchmarks", "",
        f"- command: `{meta['command']}`",
        f"- started {meta['started']}, took {meta['elapsed_s']:.0f} s; mode: {meta['mode']}; "
        f"repeats: {meta['repeats']} (+{meta['warmup']} warm-up round(s), excluded)",
        f"- machine: {machine_text(m)}",
        f"- load average (1/5/15 min): at start {meta['load_start'].get('loadavg')}, "
        f"at end {meta['load_end'].get('loadavg')}",
        f"- threads: OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = MKL_NUM_THREADS = "
        f"torch.set_num_threads = TensorFlow's intra/inter-op pools = n for each child, and "
        f"Keras children pinned to n cores when n is below the usable cores (XLA sizes its "
        f"pool by them), n in {meta['threads']}",
        f"- sizes: {meta['sizes_text']}",
        "- times: the timed region only (the fit call / the training loop / the predict "
        "call, after a first call of the same kind in the same process; data loading, model "
        "construction and the first call excluded); each run in a fresh process. "
        "`vs PyTorch`: time / PyTorch's time in the same round, median over rounds; "
        "`CPU time`: the timed region's process CPU time (with 1 thread on a busy machine "
        "the steadier figure: wall time also counts waiting for a core). "
        "Peak memory: the child's peak RSS (VmHWM; includes the framework's import and the "
        "data); `before`: its RSS when the timed region began.",
        "",
    ]
    if v.get("keras") is None and any(r["contender"].startswith("keras") for r in rows):
        lines[-1:-1] = ["- Keras is not installed: pip install -r benchmarks/requirements.txt"]
    if meta.get("jobs", 1) > 1:
        lines[-1:-1] = [f"- **{meta['jobs']} runs at a time (--jobs): they slowed each other "
                        "down; these timings are not comparable.**"]
    if meta["mode"] == "tiny":
        lines[-1:-1] = ["- **--tiny: a smoke test on a handful of steps; the numbers mean "
                        "nothing.**"]
    for threads in meta["threads"]:
        lines += [f"## {threads} thread(s)", ""] + summary_tables(rows, threads) + [""]
        lines += ["Every run:", "",
                  "| workload | contender | median | min–max | vs PyTorch | CPU time | "
                  "first call | images/s | peak MiB | before MiB | test acc |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in rows:
            if r["threads"] != threads:
                continue
            name = LABELS.get(r["contender"], r["contender"])
            if r["status"] != "ok":
                lines.append(f"| {r['workload']} | {name} | {r['status']}: {r['reason']} "
                             "| | | | | | | | |")
                continue
            torch = r["contender"] == "torch"
            lines.append(
                f"| {r['workload']} | {name} | {_time(r['median_s'])} | {_time(r['min_s'])}–"
                f"{_time(r['max_s'])} | {'1' if torch else _ratio(r['vs_torch'])} | "
                f"{_time(r['cpu_s'])} | {_time(r.get('first_s'))} | "
                f"{_f(r['per_s'], ',.0f')} | {_f(r['peak_mib'], '.0f')} | "
                f"{_f(r.get('before_mib'), '.0f')} | "
                f"{_f(r['accuracy'] and r['accuracy'] * 100, '.2f', ' %')} |")
        table = ops.get(threads)
        failed = [r for r in meta.get("ops_failures", []) if r["threads"] == threads]
        for r in failed[:1]:
            lines += ["", f"Per-op overhead: {r['status']}: {r.get('reason')}"]
        if table:
            lines += ["", "Per-op overhead, forward + backward per call (µs, median):", "",
                      "| op | ember | NumPy | PyTorch | ember / PyTorch |",
                      "| --- | ---: | ---: | ---: | ---: |"]
            for op, t in table.items():
                lines.append(f"| {op} | {_f(t.get('ember'), '.1f')} | "
                             f"{_f(t.get('numpy'), '.1f')} | {_f(t.get('torch'), '.1f')} | "
                             f"{_f(t.get('ratio'), '.2f')} |")
        lines.append("")
    lines += ["## Targets", "", "| threads | target | measured | verdict | note |",
              "| ---: | --- | ---: | --- | --- |"]
    for t in verdicts:
        lines.append(f"| {t['threads']} | {t['target']} | {_f(t['value'], '.2f')} | "
                     f"**{t['verdict']}** | {t['note'] or ''} |")
    return "\n".join(lines) + "\n"


def machine_text(m: dict) -> str:
    """The machine and library versions in one line."""
    v = m["versions"]
    blas = m.get("blas") if isinstance(m.get("blas"), dict) else {}
    return (f"{m['cpu']}, {m['usable_cores']} usable of {m['logical_cores']} logical cores, "
            f"{_f(m.get('memory_gib'), '.0f', ' GiB')} RAM; Python {m['python']}, "
            f"NumPy {m['numpy']} ({blas.get('name', '?')} {blas.get('version') or ''}), "
            f"{'numba ' + v['numba'] if v.get('numba') else 'no numba'} (ember's fast extra), "
            f"PyTorch {v.get('torch')}, Keras {v.get('keras')} (JAX {v.get('jax')}, "
            f"TensorFlow {v.get('tensorflow')}), scikit-learn {v.get('scikit-learn')}")
