"""Turn the raw runs into the summary, the markdown report and the targets verdicts.

A *run* is one child process's record (see benchmarks/child.py) plus where it sat in the
schedule: ``threads``, ``workload``, ``contender``, ``round`` and ``warmup``. Ratios against
PyTorch (or the NumPy loop) are taken per round, between runs that ran back to back, and the
median of those ratios is reported: drift on a shared machine then hits both sides alike.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

TRAINING = ("dense", "convnet", "lstm")
LABELS = {"ember": "ember (fit API)", "torch": "PyTorch (plain loop)",
          "numpy": "NumPy loop (floor)", "sklearn": "scikit-learn MLPClassifier"}


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
                accuracy=_median([r["result"].get("accuracy") for r in ok]),
                images=images, per_s=images / med if images and med else None)
        rows.append(row)
    return rows


def _row(rows: list, threads: int, workload: str, contender: str) -> dict | None:
    for r in rows:
        if (r["threads"], r["workload"], r["contender"]) == (threads, workload, contender):
            return r
    return None


def targets(rows: list, epochs: int) -> list[dict]:
    """The issue's targets, each with its measured value and whether it is met."""
    out = []

    def check(threads: int, name: str, workload: str, value_key: str, limit: float,
              den: str = "torch") -> None:
        # the CPU-time ratio goes in the note: with 1 thread on a busy machine it is the
        # steadier of the two (wall time also counts the time a run waited for a core)
        ember = _row(rows, threads, workload, "ember")
        other = _row(rows, threads, workload, den)
        if ember is None or ember["status"] != "ok":
            why = ember["reason"] if ember else "not run"
            out.append({"threads": threads, "target": name, "value": None,
                        "verdict": "unavailable", "note": why})
            return
        if other is None or other["status"] != "ok":
            out.append({"threads": threads, "target": name, "value": None,
                        "verdict": "unavailable", "note": f"{den} did not run"})
            return
        value = ember[value_key]
        cpu = ember.get(value_key + "_cpu")
        out.append({"threads": threads, "target": name, "value": value, "cpu_value": cpu,
                    "verdict": "met" if value is not None and value <= limit else "NOT met",
                    "note": f"limit {limit:g}; CPU-time ratio {_f(cpu, '.2f')}"})

    for threads in sorted({r["threads"] for r in rows}):
        names = {r["workload"] for r in rows if r["threads"] == threads}
        if "dense" in names:
            check(threads, f"dense: ember <= 0.75 x PyTorch (time per {epochs} epoch(s))",
                  "dense", "vs_torch", 0.75)
            check(threads, "dense: ember <= 1.15 x NumPy loop", "dense", "vs_numpy", 1.15,
                  den="numpy")
        if "convnet" in names:
            check(threads, "convnet: ember <= 1.0 x PyTorch", "convnet", "vs_torch", 1.0)
        if "lstm" in names:
            check(threads, "lstm: ember <= 1.0 x PyTorch", "lstm", "vs_torch", 1.0)
        for w in ("predict_dense", "predict_convnet"):
            if w in names:
                check(threads, f"{w}: ember throughput >= PyTorch (time ratio <= 1)", w,
                      "vs_torch", 1.0)
        for w in TRAINING:
            if w not in names:
                continue
            ember, torch = (_row(rows, threads, w, c) for c in ("ember", "torch"))
            name = f"{w}: ember peak memory <= PyTorch's"
            if not (ember and torch and ember["status"] == torch["status"] == "ok"):
                out.append({"threads": threads, "target": name, "value": None,
                            "verdict": "unavailable", "note": ""})
                continue
            value = ember["peak_mib"] / torch["peak_mib"]
            out.append({"threads": threads, "target": name, "value": value,
                        "verdict": "met" if value <= 1.0 else "NOT met",
                        "note": f"{ember['peak_mib']:.0f} vs {torch['peak_mib']:.0f} MiB"})
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


def markdown(meta: dict, rows: list, ops: dict, verdicts: list) -> str:
    """The report as markdown: header, one table per thread count, per-op table, targets."""
    m = meta["machine"]
    lines = [
        "# ember end-to-end benchmarks", "",
        f"- command: `{meta['command']}`",
        f"- started {meta['started']}, took {meta['elapsed_s']:.0f} s; mode: {meta['mode']}; "
        f"repeats: {meta['repeats']} (+{meta['warmup']} warm-up round(s), excluded)",
        f"- machine: {m['cpu']}, {m['usable_cores']} usable of {m['logical_cores']} logical "
        f"cores, {_f(m.get('memory_gib'), '.0f', ' GiB')} RAM; Python {m['python']}, "
        f"NumPy {m['numpy']} ({(m.get('blas') or {}).get('name', '?')} "
        f"{(m.get('blas') or {}).get('version', '')}), torch {m['versions'].get('torch')}, "
        f"scikit-learn {m['versions'].get('scikit-learn')}",
        f"- load average (1/5/15 min): at start {meta['load_start'].get('loadavg')}, "
        f"at end {meta['load_end'].get('loadavg')}",
        f"- threads: OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = MKL_NUM_THREADS = "
        f"torch.set_num_threads = n for each child, n in {meta['threads']}",
        f"- sizes: {meta['sizes_text']}",
        "- times: the timed region only (the fit call / the training loop / the predict "
        "call; data loading and model construction excluded); each run in a fresh process. "
        "`vs PyTorch`: time / PyTorch's time in the same round, median over rounds; "
        "`CPU time` and `vs PyTorch (CPU)`: the same on the timed region's process CPU time "
        "(with 1 thread on a busy machine the steadier figure: wall time also counts waiting "
        "for a core). "
        "Peak memory: the child's peak RSS (VmHWM; includes the framework's import and the data).",
        "",
    ]
    if meta.get("jobs", 1) > 1:
        lines[-1:-1] = [f"- **{meta['jobs']} runs at a time (--jobs): they slowed each other "
                        "down; these timings are not comparable.**"]
    if meta["mode"] == "tiny":
        lines[-1:-1] = ["- **--tiny: a smoke test on a handful of steps; the numbers mean "
                        "nothing.**"]
    for threads in meta["threads"]:
        lines += [f"## {threads} thread(s)", "",
                  "| workload | contender | median | min–max | vs PyTorch | CPU time | "
                  "vs PyTorch (CPU) | warm-up run | images/s | peak MiB | test acc |",
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
            ratio = "1" if torch else _f(r["vs_torch"], ".2f", "x")
            ratio_cpu = "1" if torch else _f(r["vs_torch_cpu"], ".2f", "x")
            lines.append(
                f"| {r['workload']} | {name} | {_time(r['median_s'])} | {_time(r['min_s'])}–"
                f"{_time(r['max_s'])} | {ratio} | {_time(r['cpu_s'])} | {ratio_cpu} | "
                f"{_time(r['warmup_s'])} | "
                f"{_f(r['per_s'], ',.0f')} | {_f(r['peak_mib'], '.0f')} | "
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
    for v in verdicts:
        lines.append(f"| {v['threads']} | {v['target']} | {_f(v['value'], '.2f')} | "
                     f"**{v['verdict']}** | {v['note'] or ''} |")
    return "\n".join(lines) + "\n"
