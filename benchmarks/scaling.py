"""The scaling grid: the dense network's time per epoch against batch size and width.

    python -m benchmarks --scaling [--scaling-peers keras_jax] [--repeats 2] [--threads 2]

784 → width relu → 10 softmax, Adam, for every batch size in ``BATCHES`` and hidden width in
``WIDTHS``, for ember and the peers (by default Keras on JAX, the fastest peer on the dense
network on these machines; ``--scaling-peers torch,keras_jax,keras_tf`` for more). Each cell
trains on the first ``images`` training images (a quarter epoch in the full mode: the grid's
largest cells cost ~40 × the smallest), after the same first-call warm-up as the main suite, and
the time is scaled to one 60,000-image epoch. Same machinery as the main suite: one fresh child
per (cell, contender, round), interleaved, ratios paired per round. Writes ``scaling.md`` and
``scaling.json`` to ``--out``; benchmarks/readme.py puts the table into the README.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import machine, report
from benchmarks.data import cache_mnist, find_mnist

BATCHES = (32, 128, 512)
WIDTHS = (128, 512, 2048)
EPOCH = 60_000  # MNIST's training set: the time per epoch is scaled to it
# images trained on per cell (a multiple of every batch size, so no short last batch), the
# warm-up steps before the timed region, test images for the accuracy
SIZES = {"full": {"images": 15_360, "warm_steps": 3, "n_test": 2_000},
         "quick": {"images": 7_680, "warm_steps": 3, "n_test": 2_000},
         "tiny": {"images": 1_024, "warm_steps": 1, "n_test": 128}}


def cell(batch: int, width: int) -> str:
    """The name of one cell of the grid, used as its workload in the runs."""
    return f"batch {batch}, width {width}"


def schedule(args: argparse.Namespace, data: str, batches=BATCHES, widths=WIDTHS) -> list:
    """Every (threads, cell, round, contender) run, interleaved within each cell's round."""
    sizes = SIZES[args.mode]
    contenders = ["ember", *args.scaling_peer_list]
    items = []
    for threads in args.thread_list:
        for batch in batches:
            for width in widths:
                for round_ in range(args.warmup + args.repeats):
                    for contender in contenders:
                        spec = {"workload": "dense", "contender": contender,
                                "threads": threads, "seed": args.seed + round_,
                                "data": data, "n_train": sizes["images"],
                                "n_test": sizes["n_test"], "epochs": 1,
                                "steps": sizes["images"] // batch, "batch": batch,
                                "width": width, "warm_steps": sizes["warm_steps"],
                                "predict_batch": 256}
                        items.append({"threads": threads, "workload": cell(batch, width),
                                      "batch": batch, "width": width,
                                      "contender": contender, "round": round_ - args.warmup,
                                      "warmup": round_ < args.warmup,
                                      "spec": {k: v for k, v in spec.items() if k != "data"},
                                      "_spec": spec})
    return items


def table(rows: list, threads: int, images: int, batches=BATCHES, widths=WIDTHS) -> list[str]:
    """Markdown: one line per cell with each contender's time per epoch and ember / the
    fastest peer, then the ratios alone as a batch × width matrix."""
    contenders = report.present(rows, threads, ("ember", *report.PEERS))
    scale = EPOCH / images

    def per_epoch(r: dict | None) -> str:
        if r is None:
            return ""
        return report._time(r["median_s"] * scale) if r["status"] == "ok" else r["status"]

    lines = ["| batch | width | " + " | ".join(report.SHORT[c] for c in contenders)
             + " | ember / fastest peer | faster |",
             "| ---: | ---: |" + " ---: |" * len(contenders) + " ---: | --- |"]
    ratios: dict = {}
    for b in batches:
        for w in widths:
            got = {c: report._row(rows, threads, cell(b, w), c) for c in contenders}
            ember = got.get("ember") or {}
            ratio = ember.get("vs_fastest")
            ratios[b, w] = ratio
            faster = ("—" if ratio is None else "ember" if ratio < 1
                      else report.SHORT[ember["fastest_peer"]])
            lines.append(f"| {b} | {w} | " + " | ".join(per_epoch(got[c]) for c in contenders)
                         + f" | {report._ratio(ratio)} | {faster} |")
    lines += ["", "ember / the fastest peer (below 1: ember is faster):", "",
              "| batch \\ width | " + " | ".join(str(w) for w in widths) + " |",
              "| ---: |" + " ---: |" * len(widths)]
    for b in batches:
        lines.append(f"| {b} | " + " | ".join(report._ratio(ratios[b, w]) for w in widths)
                     + " |")
    return lines


def markdown(meta: dict, rows: list) -> str:
    lines = ["# ember scaling grid: dense network, time per epoch", "",
             f"- command: `{meta['command']}`",
             f"- started {meta['started']}, took {meta['elapsed_s']:.0f} s; mode: "
             f"{meta['mode']}; repeats: {meta['repeats']}",
             f"- machine: {report.machine_text(meta['machine'])}",
             f"- load average at start {meta['load_start'].get('loadavg')}, at end "
             f"{meta['load_end'].get('loadavg')}",
             f"- network: 784 → width relu → 10 softmax, Adam 1e-3; each cell trains on "
             f"{meta['images']:,} images (after {meta['warm_steps']} warm-up step(s) in the "
             f"same process), time scaled to a {EPOCH:,}-image epoch; median over rounds, "
             f"ratios paired per round", ""]
    if meta["mode"] == "tiny":
        lines[-1:-1] = ["- **--tiny: a smoke test; the numbers mean nothing.**"]
    if meta.get("jobs", 1) > 1:
        lines[-1:-1] = [f"- **{meta['jobs']} runs at a time (--jobs): not comparable.**"]
    for threads in meta["threads"]:
        lines += [f"## {threads} thread(s)", ""] + table(rows, threads, meta["images"]) + [""]
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    from benchmarks.run import _execute

    source = find_mnist(args.data)
    if source is None:
        print("benchmarks: MNIST not found (looked in --data, $EMBER_DATA_DIR and "
              "../shared/data/mnist)", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = SIZES[args.mode]
    t0 = time.perf_counter()
    meta: dict = {"command": shlex.join([Path(sys.executable).name, "-m", "benchmarks"]
                                        + (sys.argv[1:] if argv is None else argv)),
                  "started": time.strftime("%Y-%m-%d %H:%M:%S"), "mode": args.mode,
                  "repeats": args.repeats, "warmup": args.warmup, "jobs": args.jobs,
                  "threads": args.thread_list, "peers": args.scaling_peer_list,
                  "images": sizes["images"], "warm_steps": sizes["warm_steps"],
                  "batches": list(BATCHES), "widths": list(WIDTHS),
                  "machine": machine.describe(), "load_start": machine.load()}
    with tempfile.TemporaryDirectory(prefix="ember-scaling-") as cache:
        cache_mnist(source, Path(cache), sizes["images"], sizes["n_test"])
        runs = _execute(schedule(args, cache), args.jobs, args.timeout)
    meta["load_end"] = machine.load()
    meta["elapsed_s"] = time.perf_counter() - t0
    rows = report.summarize(runs)
    text = markdown(meta, rows)
    (out / "scaling.md").write_text(text)
    with open(out / "scaling.json", "w") as f:
        json.dump({**meta, "summary": rows, "runs": runs}, f, indent=1, default=str)
    print(text)
    print(f"written: {out / 'scaling.md'} and {out / 'scaling.json'}", file=sys.stderr)
    return 0
