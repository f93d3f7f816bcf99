"""em.tune.search from several worker processes sharing one study in a real PostgreSQL server
(a throwaway one started here, in a temporary directory); skipped where there is none."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")
pytest.importorskip("psycopg2", reason="psycopg2 (the 'postgres' extra) is not installed")

WORKER = str(Path(__file__).with_name("tune_worker.py"))


def _pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    hits = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return hits[-1] if hits else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    initdb, pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("no PostgreSQL server (initdb/pg_ctl) here: apt-get install postgresql")
    as_user: list[str] = []
    root = tempfile.mkdtemp(prefix="ember-pg-")
    if os.geteuid() == 0:  # postgres refuses to run as root: run it as the postgres user
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    data, port = os.path.join(root, "data"), _free_port()
    subprocess.run(as_user + [initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E",
                              "UTF8"], check=True, capture_output=True, timeout=120)
    opts = f"-p {port} -k {root} -c listen_addresses=''"
    start = subprocess.run(as_user + [pg_ctl, "-D", data, "-o", opts, "-l",
                                      os.path.join(root, "log"), "-w", "start"],
                           capture_output=True, text=True, timeout=120)
    if start.returncode != 0:
        log = Path(root, "log").read_text() if Path(root, "log").exists() else ""
        pytest.fail(f"PostgreSQL did not start: {start.stderr}\n{log}")
    try:
        yield f"postgresql+psycopg2://postgres@/postgres?host={root}&port={port}"
    finally:
        subprocess.run(as_user + [pg_ctl, "-D", data, "-m", "fast", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


def test_workers_share_one_study_in_postgres(postgres):
    budget, workers = 12, 3
    procs = [subprocess.Popen([sys.executable, WORKER, postgres, "shared", str(i), str(budget)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(workers)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    study = optuna.load_study(study_name="shared", storage=postgres)
    trials = study.get_trials(deepcopy=False)
    states = optuna.trial.TrialState
    done = [t for t in trials if t.state in (states.COMPLETE, states.PRUNED)]
    assert len(done) == budget  # the shared budget, exactly
    for t in trials:  # anything beyond the budget is marked, never run
        assert t.state in (states.COMPLETE, states.PRUNED) or t.user_attrs.get("over_budget")
    numbers = [t.number for t in trials]
    assert len(set(numbers)) == len(numbers)
    lrs = [t.params["learning_rate"] for t in done]
    assert len(set(lrs)) == len(lrs)  # no trial duplicated across workers
    by_worker = {t.user_attrs["worker"] for t in done}
    assert by_worker == set(range(workers))  # every worker took part
    pruned = [t for t in done if t.state == states.PRUNED]
    assert pruned, "no trial was pruned"
    # the pruner needs 3 finished trials; a trial pruned before its own worker finished 3
    # was pruned against the other workers' trials
    def own_finished_before(t):
        return sum(1 for o in done if o.user_attrs["worker"] == t.user_attrs["worker"]
                   and o.datetime_complete < t.datetime_start)
    assert any(own_finished_before(t) < 3 for t in pruned)
    best = study.best_trial
    assert best.state == states.COMPLETE and best.value == min(t.value for t in done
                                                                if t.state == states.COMPLETE)
