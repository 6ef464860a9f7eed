"""The job cluster stops on SIGTERM and on Ctrl-C, and lets its running job end first.

Deployments (``docker compose stop`` sends SIGTERM to the cluster) and ``make run``
(Ctrl-C, or a SIGTERM passed on by make) must not hang, and must not cut a job
off half-way. These tests start the real processes on a migrated SQLite file,
queue a job that takes a few seconds, signal once the job runs, and check that
everything exited within the configured job timeout (a generous upper bound,
not a speed target), that the job's result was saved, and that no process was
left behind.
"""

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The job timeout these processes run with (PX360_QUEUE_TIMEOUT): the bound on every stop.
QUEUE_TIMEOUT = 30
JOB_NAME = "signal-test-job"
JOB_SECONDS = 4

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc to find leftovers"),
]


def _environment(var_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PX360_", "DATABASE_URL"))}
    env.update(
        PX360_ENV="test",
        PX360_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'db.sqlite3'}",
        PX360_QUEUE_TIMEOUT=str(QUEUE_TIMEOUT),
        PX360_QUEUE_WORKERS="1",
        DJANGO_SETTINGS_MODULE="px360.settings",
    )
    return env


@pytest.fixture(scope="module")
def migrated_with_a_job(tmp_path_factory):
    """A migrated database with one queued job that sleeps a few seconds."""
    var_dir = tmp_path_factory.mktemp("qcluster-template")
    env = _environment(var_dir)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=900
    )
    enqueue = f"from django_q.tasks import async_task; async_task('time.sleep', {JOB_SECONDS}, task_name='{JOB_NAME}')"
    subprocess.run([sys.executable, "manage.py", "shell", "-c", enqueue], cwd=ROOT, env=env, check=True, timeout=300)
    return var_dir


@pytest.fixture
def var_dir(migrated_with_a_job, tmp_path):
    """A copy of the template per test; every process of the test is found by this path."""
    copy = tmp_path / "var"
    shutil.copytree(migrated_with_a_job, copy)
    yield copy
    for pid in _processes_using(copy):  # a failed test must not leave its processes running
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _processes_using(var_dir: Path) -> list[int]:
    """Processes started for this test: their environment names its var directory."""
    marker = f"PX360_VAR_DIR={var_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def _wait_for_the_job_to_start(log: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300  # start-up on a busy machine; not what is measured
    while time.monotonic() < deadline:
        if f"processing {JOB_NAME}" in log.read_text(errors="replace"):
            return
        assert process.poll() is None, log.read_text(errors="replace")
        time.sleep(0.2)
    pytest.fail(f"the job never started:\n{log.read_text(errors='replace')}")


def _job_succeeded(var_dir: Path) -> bool:
    with sqlite3.connect(var_dir / "db.sqlite3") as connection:
        rows = connection.execute("SELECT success FROM django_q_task WHERE name = ?", [JOB_NAME]).fetchall()
    return rows == [(1,)]


def _reset_sigint():
    # As in a terminal: a shell started in the background would ignore SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(command: list[str], var_dir: Path, log: Path, **env) -> subprocess.Popen:
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env={**_environment(var_dir), **env},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a terminal's foreground job
            preexec_fn=_reset_sigint,
        )


def _assert_stopped_cleanly(process: subprocess.Popen, var_dir: Path, log: Path, bound: int) -> None:
    try:
        process.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {bound}s after the signal:\n{log.read_text(errors='replace')[-3000:]}")
    # The job that was running when the signal came was allowed to end, and its result saved ...
    assert _job_succeeded(var_dir), log.read_text(errors="replace")[-3000:]
    # ... and nothing is left: not the web server, the sentinel, a worker, the pusher or the monitor.
    deadline = time.monotonic() + 5  # the kernel reaps orphans asynchronously
    while _processes_using(var_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_using(var_dir) == []


def test_the_cluster_lets_its_running_job_end_and_exits_on_sigterm(var_dir, tmp_path):
    """What ``docker compose stop`` does: SIGTERM to the cluster's main process."""
    log = tmp_path / "qcluster.log"
    cluster = _start([sys.executable, "manage.py", "qcluster"], var_dir, log)
    _wait_for_the_job_to_start(log, cluster)
    cluster.send_signal(signal.SIGTERM)
    _assert_stopped_cleanly(cluster, var_dir, log, bound=QUEUE_TIMEOUT)
    assert cluster.returncode == 0


@pytest.mark.skipif(not (ROOT / ".venv/bin/python").exists(), reason="scripts/run-dev runs .venv/bin/python")
@pytest.mark.parametrize(
    "how",
    ["SIGTERM to the script (make passes one on)", "Ctrl-C (SIGINT to the terminal's process group)"],
)
def test_make_run_stops_the_web_server_and_the_cluster(var_dir, tmp_path, how):
    log = tmp_path / "run-dev.log"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run_dev = _start(["bash", "scripts/run-dev"], var_dir, log, PORT=str(port))
    _wait_for_the_job_to_start(log, run_dev)
    if how.startswith("SIGTERM"):
        run_dev.send_signal(signal.SIGTERM)
    else:
        os.killpg(run_dev.pid, signal.SIGINT)
    # run-dev waits the job timeout plus a few seconds before it kills what is left.
    _assert_stopped_cleanly(run_dev, var_dir, log, bound=QUEUE_TIMEOUT + 20)
