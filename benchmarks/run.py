"""The end-to-end benchmark suite: ember's ``fit``/``predict`` against PyTorch, Keras 3 on JAX
and on TensorFlow, a hand-written NumPy loop and scikit-learn on real MNIST, in one run, on the
same machine.

    python -m benchmarks [--quick] [--epochs N] [--repeats N] [--warmup N]
                         [--workloads dense,convnet,lstm,predict,ops] [--threads 1,2]
                         [--contenders all|ember,torch,keras_jax,...] [--update-readme]
                         [--scaling] [--data DIR] [--out DIR]

Every (workload, contender) run is a fresh subprocess, so each contender's peak memory is its
own and no run warms the caches of the next. Runs are interleaved (A B C A B C ...), and the
thread count is set identically for all (BLAS/OpenMP environment + each framework's own knob).
Writes ``latest.md`` (the tables and the targets) and ``latest.json`` (every raw timing, the
machine, the command line) to ``--out`` (default benchmarks/results/); ``--update-readme``
also rewrites the README's Performance table from this run (benchmarks/readme.py), and
``--scaling`` runs the batch-size x width grid instead (benchmarks/scaling.py).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import machine, report
from benchmarks.child import KERAS_BACKENDS, MARKER
from benchmarks.data import REPO, cache_mnist, find_mnist

GROUPS = {"dense": ["dense"], "convnet": ["convnet"], "lstm": ["lstm"],
          "predict": ["predict_dense", "predict_convnet"], "ops": ["ops"]}
KERAS = ["keras_jax", "keras_tf"]
CONTENDERS = {"dense": ["ember", "torch", *KERAS, "numpy", "sklearn"],
              "convnet": ["ember", "torch", *KERAS], "lstm": ["ember", "torch", *KERAS],
              "predict_dense": ["ember", "torch", *KERAS, "numpy"],
              "predict_convnet": ["ember", "torch", *KERAS], "ops": ["ops"]}
ALL_CONTENDERS = ["ember", "torch", *KERAS, "numpy", "sklearn"]
# steps per epoch for convnet / lstm (None: the whole training set), ops calls per timing,
# and the data subset, per mode
SIZES = {
    # predict passes over the test set per timed run: one dense pass takes ~40 ms, too short
    # to time steadily on a shared machine
    # warm_steps: training steps (and a short predict) run before the timed region in the same
    # process, timed on their own: Keras compiles there (see contenders.warm_subset)
    "full": {"convnet_steps": None, "lstm_steps": 200, "ops_number": 2000, "warm_steps": 20,
             "n_train": None, "n_test": None, "predict_passes": {"dense": 10, "convnet": 1}},
    "quick": {"convnet_steps": 100, "lstm_steps": 50, "ops_number": 500, "warm_steps": 20,
              "n_train": None, "n_test": None, "predict_passes": {"dense": 3, "convnet": 1}},
    "tiny": {"convnet_steps": 2, "lstm_steps": 2, "ops_number": 20, "dense_steps": 4,
             "warm_steps": 1,
             "n_train": 256, "n_test": 128, "predict_passes": {"dense": 2, "convnet": 1}},
}
BATCH = {"dense": 32, "convnet": 32, "lstm": 64}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks",
                                description=" ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("--quick", action="store_true",
                   help="fewer steps: convnet 100, lstm 50 (dense stays one full epoch)")
    p.add_argument("--tiny", action="store_true",
                   help="a handful of steps on a few images, 1 repeat: proves the suite works "
                        "(also EMBER_BENCH_TINY=1); the numbers mean nothing")
    p.add_argument("--epochs", type=int, default=1,
                   help="epochs of the dense workload (test accuracy is reported after them)")
    p.add_argument("--repeats", type=int, default=None, help="timed rounds (default 3)")
    p.add_argument("--warmup", type=int, default=None,
                   help="whole rounds run first and excluded from the statistics (default 0: "
                        "every run already warms up in its own process before it is timed)")
    p.add_argument("--workloads", default="dense,convnet,lstm,predict,ops",
                   help=f"comma-separated, from {','.join(GROUPS)}")
    p.add_argument("--contenders", default="all",
                   help=f"comma-separated, from {','.join(ALL_CONTENDERS)} ('all': every "
                        "one; each workload runs those of them that take part in it)")
    p.add_argument("--update-readme", action="store_true",
                   help="rewrite the README's Performance table from this run (a full run "
                        "with every contender: refused otherwise)")
    p.add_argument("--scaling", action="store_true",
                   help="run the scaling grid instead: dense time per epoch against batch "
                        "size x width, ember and --scaling-peers (benchmarks/scaling.py)")
    p.add_argument("--scaling-peers", default="keras_jax",
                   help="the peers of the scaling grid (default keras_jax, the fastest peer "
                        "on the dense network on these machines)")
    p.add_argument("--threads", default=None,
                   help="thread count(s), comma-separated, e.g. 1,2 (default: usable cores)")
    p.add_argument("--warm-steps", type=int, default=None,
                   help="training steps of the first fit each framework child runs before "
                        "its timed epoch, timed on their own (Keras compiles there; default "
                        "20, --tiny 1; 0: time the first epoch from a fresh model instead; "
                        "1875: a whole first epoch of the dense network or the convnet)")
    p.add_argument("--predict-batch", type=int, default=32,
                   help="batch size of the predict workload (Keras' default, 32)")
    p.add_argument("--data", default=None, help="MNIST folder (default $EMBER_DATA_DIR, "
                   "then ../shared/data/mnist next to the repository)")
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=1800, help="seconds per child run")
    p.add_argument("--jobs", type=int, default=1,
                   help="children run at once (default 1; more only to smoke-test quickly: "
                        "overlapping runs distort each other's timings)")
    p.add_argument("--kernels", choices=("fast", "reference"), default="fast",
                   help="ember's ops: the fast kernels (default) or the reference ops, for "
                        "comparison (sets EMBER_KERNELS in each child; see ember.kernels)")
    args = p.parse_args(argv)
    args.tiny = args.tiny or os.environ.get("EMBER_BENCH_TINY") == "1"
    args.mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    if args.repeats is None:
        args.repeats = 1 if args.tiny else 2 if args.scaling else 3
    if args.warmup is None:
        args.warmup = 0
    if args.repeats < 1 or args.warmup < 0 or args.epochs < 1:
        p.error("--repeats and --epochs must be >= 1 and --warmup >= 0")
    if args.warm_steps is not None and args.warm_steps < 0:
        p.error(f"--warm-steps must be >= 0; got {args.warm_steps}")
    unknown = set(args.workloads.split(",")) - set(GROUPS)
    if unknown:
        p.error(f"--workloads: unknown {sorted(unknown)}; choose from {','.join(GROUPS)}")
    names = ALL_CONTENDERS if args.contenders == "all" else args.contenders.split(",")
    unknown = set(names) - set(ALL_CONTENDERS)
    if unknown:
        p.error(f"--contenders: unknown {sorted(unknown)}; choose from "
                f"{','.join(ALL_CONTENDERS)} or all")
    args.contender_list = names
    peers = args.scaling_peers.split(",")
    if set(peers) - (set(ALL_CONTENDERS) - {"ember", "numpy", "sklearn"}):
        p.error(f"--scaling-peers: expected some of torch,{','.join(KERAS)}; got "
                f"{args.scaling_peers!r}")
    args.scaling_peer_list = peers
    default = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    try:
        args.thread_list = [int(t) for t in (args.threads or str(default)).split(",")]
    except ValueError:
        p.error(f"--threads: expected integers like 1 or 1,2; got {args.threads!r}")
    if any(t < 1 for t in args.thread_list):
        p.error("--threads must be >= 1")
    return args


# Bytes of padding in each round's child environment, the same for every contender of a round.
# The size of the environment shifts where a process's arrays land in memory, and that alone
# changed ember's convnet by 30 % on these VMs (300 steps: 3.1 s with 1,000 or 3,000 bytes of
# padding, 4.0-4.2 s with 0 or 100, the same code): one fixed environment is one draw of a
# lottery. Varying it across rounds makes the medians average over memory layouts instead.
LAYOUT_PADS = (0, 1000, 100, 3000, 2000, 5000)


def contenders_of(workload: str, chosen: list[str]) -> list[str]:
    """The chosen contenders that take part in ``workload``, in the interleaving order."""
    return [c for c in CONTENDERS[workload] if c == "ops" or c in chosen]


def job(args: argparse.Namespace, workload: str, contender: str, threads: int, data: str,
        round_: int) -> dict:
    """The spec a child receives (see benchmarks/child.py)."""
    sizes = SIZES[args.mode]
    arch = workload.removeprefix("predict_")
    steps = {"dense": sizes.get("dense_steps"), "convnet": sizes["convnet_steps"],
             "lstm": sizes["lstm_steps"]}.get(arch)
    warm = sizes["warm_steps"] if getattr(args, "warm_steps", None) is None else args.warm_steps
    return {"workload": workload, "contender": contender, "threads": threads,
            "seed": args.seed + round_, "data": data, "n_train": sizes["n_train"],
            "warm_steps": warm if workload in BATCH else 0,
            "n_test": sizes["n_test"], "epochs": args.epochs if workload == "dense" else 1,
            "steps": steps, "batch": BATCH.get(arch, 32), "predict_batch": args.predict_batch,
            "predict_passes": sizes["predict_passes"].get(arch, 1),
            "ops_number": sizes["ops_number"],
            "layout_pad": LAYOUT_PADS[round_ % len(LAYOUT_PADS)], "kernels": args.kernels,
            "ops_repeats": args.repeats if args.tiny else max(args.repeats, 5)}


def child_env(spec: dict) -> dict:
    """The environment of the child that runs ``spec``: thread counts (read by the BLAS and
    OpenMP runtimes when they load), the Keras backend, the round's layout padding."""
    env = dict(os.environ)
    n = str(spec["threads"])
    if spec.get("contender") in KERAS_BACKENDS:  # read once, when keras is first imported
        env["KERAS_BACKEND"] = KERAS_BACKENDS[spec["contender"]]
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    env.update(OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n,
               EMBER_BENCH_LAYOUT_PAD="x" * spec.get("layout_pad", 0),
               EMBER_KERNELS=spec.get("kernels", "fast"),
               PYTHONPATH=os.pathsep.join([str(REPO)] + [p for p in
                                                         [env.get("PYTHONPATH")] if p]))
    return env


def run_child(spec: dict, timeout: float) -> dict:
    """Run one spec in a fresh interpreter with the thread environment set; its record."""
    env = child_env(spec)
    cmd = [sys.executable, "-m", "benchmarks.child", json.dumps(spec)]
    start = time.perf_counter()
    # The child writes into files, not pipes: with this process blocked reading a pipe from
    # it, the child ran measurably slower here (ember's convnet 1.28-1.43 s for 100 steps
    # against 1.02-1.12 s with files, the same as launched from a shell).
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        try:
            proc = subprocess.run(cmd, stdout=out, stderr=err, text=True, env=env, cwd=REPO,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"status": "error", "reason": f"timed out after {timeout:.0f} s"}
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            record = json.loads(line[len(MARKER):])
            record["process_wall_s"] = wall
            return record
    tail = (stderr or stdout).strip().splitlines()[-5:]
    return {"status": "error", "reason": f"child exited {proc.returncode}: "
                                         + " | ".join(tail)}


def _execute(schedule: list, jobs: int, timeout: float) -> list:
    """Run every scheduled child, in order (``jobs`` > 1 overlaps them: for --tiny only, as
    overlapping runs slow each other down); returns the runs with their records."""

    def one(item: dict) -> dict:
        load_before = machine.load().get("loadavg")
        record = run_child(item["_spec"], timeout)
        run = {k: v for k, v in item.items() if k != "_spec"}
        run.update(load_before=load_before, **record)
        print(_progress(run), file=sys.stderr, flush=True)
        return run

    if jobs <= 1:
        return [one(item) for item in schedule]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, schedule))


def _progress(run: dict) -> str:
    head = (f"[{run['threads']}t {run['workload']:<15} "
            f"{'warm-up' if run['warmup'] else 'round ' + str(run['round'])}] "
            f"{run['contender']:<9}")
    if run["status"] != "ok":
        return f"{head} {run['status']}: {run.get('reason')}"
    res = run.get("result", {})
    acc = f" acc {res['accuracy'] * 100:.2f} %" if res.get("accuracy") is not None else ""
    return f"{head} {run['time_s']:8.3f} s  peak {run.get('peak_mib', 0):6.0f} MiB{acc}"


def sizes_text(args: argparse.Namespace, counts: dict) -> str:
    s = SIZES[args.mode]
    return (f"train images {counts['train']}, test images {counts['test']}; dense: batch 32, "
            f"{args.epochs} epoch(s)"
            + (f" of {s['dense_steps']} steps" if s.get("dense_steps") else "")
            + "; convnet: batch 32, "
            + (f"{s['convnet_steps']} steps" if s["convnet_steps"] else "one epoch")
            + f"; lstm: batch 64, {s['lstm_steps']} steps; predict: batch "
            f"{args.predict_batch}, passes over the test set per run: dense "
            f"{s['predict_passes']['dense']}, convnet {s['predict_passes']['convnet']}"
            f"; ops: 32x128 tensors, {s['ops_number']} calls per timing")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.scaling:
        from benchmarks import scaling

        return scaling.main(args, argv)
    source = find_mnist(args.data)
    if source is None:
        print("benchmarks: MNIST not found (looked in --data, $EMBER_DATA_DIR and "
              "../shared/data/mnist for train-images-idx3-ubyte.gz)", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    t0 = time.perf_counter()
    meta: dict = {"command": shlex.join([Path(sys.executable).name, "-m", "benchmarks"]
                                        + (sys.argv[1:] if argv is None else argv)),
                  "argv": sys.argv if argv is None else argv, "started": started,
                  "mode": args.mode, "repeats": args.repeats, "warmup": args.warmup,
                  "threads": args.thread_list, "epochs": args.epochs, "jobs": args.jobs,
                  "machine": machine.describe(), "load_start": machine.load()}
    print(f"machine: {meta['machine']['cpu']}, {meta['machine']['usable_cores']} cores, "
          f"load {meta['load_start'].get('loadavg')}; threads {args.thread_list}",
          file=sys.stderr)
    busy = (meta["load_start"].get("loadavg") or [0])[0]
    cores = meta["machine"]["usable_cores"] or 1
    if busy > cores * 0.75 and max(args.thread_list) > 1:
        print(f"warning: the machine is busy (load {busy:.1f} on {cores} cores): thread pools "
              "of more than 1 thread busy-wait for cores they do not get, and those timings "
              "will be distorted; compare at --threads 1", file=sys.stderr)
    workloads = [w for g in args.workloads.split(",") for w in GROUPS[g]]
    with tempfile.TemporaryDirectory(prefix="ember-bench-") as cache:
        counts = cache_mnist(source, Path(cache), SIZES[args.mode]["n_train"],
                             SIZES[args.mode]["n_test"])
        meta["sizes_text"] = sizes_text(args, counts)
        meta["kernels"] = args.kernels  # EMBER_KERNELS of the ember children
        meta["data"] = {"source": str(source), **counts}
        schedule = []
        for threads in args.thread_list:
            for workload in workloads:
                for round_ in range(args.warmup + args.repeats):
                    for contender in contenders_of(workload, args.contender_list):
                        spec = job(args, workload, contender, threads, cache, round_)
                        schedule.append({"threads": threads, "workload": workload,
                                         "contender": contender,
                                         "round": round_ - args.warmup,
                                         "warmup": round_ < args.warmup,
                                         "spec": {k: v for k, v in spec.items()
                                                  if k != "data"}, "_spec": spec})
        runs = _execute(schedule, args.jobs, args.timeout)
    meta["contenders"] = args.contender_list
    meta["load_end"] = machine.load()
    meta["ops_failures"] = [{k: r.get(k) for k in ("threads", "status", "reason")}
                            for r in runs if r["workload"] == "ops" and r["status"] != "ok"]
    meta["elapsed_s"] = time.perf_counter() - t0
    rows = report.summarize(runs)
    ops = report.ops_tables(runs)
    verdicts = report.targets(rows, args.epochs)
    text = report.markdown(meta, rows, ops, verdicts)
    (out / "latest.md").write_text(text)
    with open(out / "latest.json", "w") as f:
        json.dump({**meta, "summary": rows, "ops": ops, "targets": verdicts, "runs": runs},
                  f, indent=1, default=str)
    print(text)
    print(f"written: {out / 'latest.md'} and {out / 'latest.json'}", file=sys.stderr)
    if args.update_readme:
        from benchmarks import readme

        try:
            path = readme.update_from(out / "latest.json")
        except readme.NotAFullRun as e:
            print(f"benchmarks: README not updated: {e}", file=sys.stderr)
            return 1
        print(f"updated the Performance table in {path}", file=sys.stderr)
    return 0
