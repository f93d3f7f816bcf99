"""The benchmark report's markdown: the per-workload summary tables (time against the fastest
peer, memory and accuracy, the first call), every run's row, the per-op table, the targets with
their verdicts, and the machine in one line; from the rows, per-op tables and verdicts that
benchmarks/report.py computes. readme.py and scaling.py build their tables from the same
helpers (``matrix``, ``present``, the number formats)."""

from __future__ import annotations

TRAINING = ("dense", "convnet", "lstm")
LABELS = {"ember": "ember (fit API)", "torch": "PyTorch (plain loop)",
          "keras_jax": "Keras 3 on JAX (fit)", "keras_tf": "Keras 3 on TensorFlow (fit)",
          "numpy": "NumPy loop (floor)", "sklearn": "scikit-learn MLPClassifier"}
SHORT = {"ember": "ember", "torch": "PyTorch", "keras_jax": "Keras/JAX", "keras_tf": "Keras/TF",
         "numpy": "NumPy loop", "sklearn": "scikit-learn"}


def _row(rows: list, threads: int, workload: str, contender: str) -> dict | None:
    for r in rows:
        if (r["threads"], r["workload"], r["contender"]) == (threads, workload, contender):
            return r
    return None


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
              "loads its compiled loops (the optimizer's machine code with llvmlite, the others "
              "from numba's disk cache), PyTorch compiles nothing:", ""]
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
