"""`convae-explorer sweep` on a real Ray: the local default, a head started here on loopback and reached with
--address, a dead address, Ctrl+C and --resume, and a run that fails beside runs that finish.

Every wait is on a state (the manifest, a port, a process), never on time; the runs are tiny (128 MNIST-format
images, one epoch) and Ray gets 2 CPUs. Ray's heads are stopped by signalling the process the test started:
`ray stop` would stop every Ray on the machine.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("ray")

from core.files.checkpoint import load_checkpoint
from core.sweep.manifest import SweepManifest, read_manifest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CLI = [sys.executable, "-m", "core"]
TINY = ["--epochs", "1", "--dataset", "mnist", "--no-download", "--device", "cpu", "--cpus-per-run", "1"]


#: This test module's own Ray token: Ray (2.52 and later) protects a cluster with a token, kept by default in a
#: per-user file that every Ray started by this user shares (and may rewrite); the tests' clusters use their own.
_TOKEN = secrets.token_hex(32)


def _env(subprocess_env: dict[str, str]) -> dict[str, str]:
    ray = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": _TOKEN}
    return {key: value for key, value in subprocess_env.items() if key != "RAY_ADDRESS"} | ray


def _sweep(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "sweep", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=500)


def _wait_for(condition, what: str, limit_s: float = 400.0, process: subprocess.Popen | None = None) -> None:
    """Poll `condition` until true; fail naming `what` if the process it depends on ends first (or after a limit
    far beyond any run's length, so a hang fails instead of blocking CI)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the process ended ({process.returncode}) before {what}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _manifest_or_none(directory: Path) -> SweepManifest | None:
    try:
        return read_manifest(directory)
    except Exception:
        return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory, idx_root: Path, subprocess_env: dict[str, str]):
    """One sweep on the local default Ray: a VAE over β × batch size, where batch size 4096 (more than the 128
    images) makes its runs fail while the others train."""
    root = tmp_path_factory.mktemp("local-sweep")
    args = ["--grid", "beta=0.5,2", "--grid", "batch-size=32,4096", "--model", "vae", *TINY,
            "--data-dir", str(idx_root), "--out", str(root / "sweep")]  # fmt: skip
    done = _sweep(args, _env(subprocess_env), root)
    return root / "sweep", done


def test_local_sweep_trains_every_run_and_reports_the_failing_ones(local_sweep) -> None:
    directory, done = local_sweep
    assert done.returncode == 1, done.stdout + done.stderr  # some runs failed
    assert "Traceback" not in done.stderr
    manifest = read_manifest(directory)
    assert manifest.axes == {"beta": [0.5, 2.0], "batch-size": [32, 4096]}
    assert manifest.fixed["model"] == "variational" and manifest.fixed["epochs"] == 1
    states = {run.run_id: run.state for run in manifest.runs}
    assert [run.state for run in manifest.runs] == ["done", "failed", "done", "failed"], states
    for run in manifest.runs:
        if run.state == "failed":
            assert "batch size 4,096 is larger than the 128 training images" in run.error
            assert run.checkpoint is None
            assert f"{run.run_id}: failed" in done.stdout
            continue
        path = manifest.checkpoint_path(directory, run)
        checkpoint = load_checkpoint(path)  # a normal checkpoint, with its time-lapse
        assert checkpoint.model_config.beta == run.settings["beta"] and checkpoint.model_config.variational
        assert checkpoint.train_config.batch_size == run.settings["batch-size"]
        assert checkpoint.history is not None and len(checkpoint.history) >= 1
        assert run.progress == 1.0 and run.error is None
        assert run.final_loss == pytest.approx(checkpoint.progress.epoch_losses[-1])
        assert run.kl is not None and run.kl > 0 and run.active_units in (0, 1, 2)


def test_a_dead_address_fails_at_once_without_running_locally(
    tmp_path: Path, subprocess_env: dict[str, str], idx_root: Path
) -> None:
    port = _free_port()
    out = tmp_path / "sweep"
    done = _sweep(["--grid", "seed=1,2", *TINY, "--data-dir", str(idx_root), "--out", str(out),
                   "--address", f"127.0.0.1:{port}"], _env(subprocess_env), tmp_path)  # fmt: skip
    assert done.returncode == 1
    assert f"no Ray cluster answers at 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (out / "runs").exists(), "nothing may train when the cluster asked for is not there"
    assert all(run.state == "queued" for run in read_manifest(out).runs)  # --resume can run it elsewhere


@pytest.fixture
def ray_head(subprocess_env: dict[str, str]) -> Iterator[str]:
    """A Ray head on loopback with 2 CPUs, started as a child process and stopped by signalling it."""
    port = _free_port()
    temp = Path(tempfile.mkdtemp(prefix="rayt", dir="/tmp"))  # short: Ray's socket paths have a length limit
    ray = Path(sys.executable).parent / "ray"
    head = subprocess.Popen(
        [str(ray), "start", "--head", "--block", "--port", str(port), "--num-cpus", "2", "--num-gpus", "0",
         "--node-ip-address", "127.0.0.1", "--temp-dir", str(temp), "--include-dashboard=false",
         "--disable-usage-stats"],
        env=_env(subprocess_env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip

    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    try:
        _wait_for(listening, "the Ray head to listen", process=head)
        yield f"127.0.0.1:{port}"
        assert head.poll() is None, "the sweep must leave a cluster it joined running"
    finally:
        head.send_signal(signal.SIGTERM)
        try:
            head.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.communicate()
        shutil.rmtree(temp, ignore_errors=True)


def test_a_sweep_on_a_ray_head_reached_by_address(
    ray_head: str, tmp_path: Path, subprocess_env: dict[str, str], idx_root: Path
) -> None:
    out = tmp_path / "sweep"
    done = _sweep(["--grid", "latent-dim=2,3", *TINY, "--data-dir", str(idx_root), "--out", str(out),
                   "--address", ray_head], _env(subprocess_env), tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = read_manifest(out)
    assert [run.state for run in manifest.runs] == ["done", "done"]
    dims = [load_checkpoint(manifest.checkpoint_path(out, run)).model_config.latent_dim for run in manifest.runs]
    assert dims == [2, 3]
    assert all(run.kl is None and run.active_units is None for run in manifest.runs)  # an autoencoder has none


def test_ctrl_c_keeps_finished_runs_and_resume_trains_only_the_rest(
    tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    """One run at a time on the built-in digits (5,000 images: a run lasts long enough to be caught running)."""
    out = tmp_path / "sweep"
    env = _env(subprocess_env)
    args = ["--grid", "seed=1,2,3", "--epochs", "1", "--threads", "1", "--max-parallel", "1", "--device", "cpu",
            "--out", str(out)]  # fmt: skip
    sweep = subprocess.Popen([*CLI, "sweep", *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip

    def one_done() -> bool:
        manifest = _manifest_or_none(out)
        return manifest is not None and any(run.state == "done" for run in manifest.runs)

    try:
        _wait_for(one_done, "a run to finish", process=sweep)
        sweep.send_signal(signal.SIGINT)
        stdout, stderr = sweep.communicate(timeout=300)
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.communicate()
    assert sweep.returncode == 130, stdout + stderr
    assert "--resume" in stdout
    stopped = read_manifest(out)
    finished = {run.run_id: run for run in stopped.runs if run.state == "done"}
    unfinished = [run for run in stopped.runs if run.state != "done"]
    assert finished and unfinished, [run.state for run in stopped.runs]
    assert all(run.state == "queued" for run in unfinished)
    for run in unfinished:  # a run caught training kept its checkpoint, and resumes from it
        if run.progress > 0:
            assert run.checkpoint is not None and load_checkpoint(out / run.checkpoint).progress.step > 0
    kept = {run_id: (out / run.checkpoint).stat().st_mtime_ns for run_id, run in finished.items()}

    resumed = _sweep(["--out", str(out), "--resume", "--max-parallel", "2"], env, tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"{len(unfinished)} to train" in resumed.stdout
    after = read_manifest(out)
    assert [run.state for run in after.runs] == ["done"] * 3
    for run_id, mtime in kept.items():  # the finished runs were not trained again
        assert (out / finished[run_id].checkpoint).stat().st_mtime_ns == mtime
    for run in after.runs:
        checkpoint = load_checkpoint(out / run.checkpoint)
        assert checkpoint.progress.epoch == 1 and checkpoint.train_config.seed == run.settings["seed"]


def test_building_the_command_line_imports_no_ray(subprocess_env: dict[str, str]) -> None:
    """`train`, `render` and `export` never pay for Ray: only a running sweep imports it."""
    code = "import sys; from core.commands.main import build_parser; build_parser(); print('ray' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], env=subprocess_env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.stdout.strip() == "False", done.stderr


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Refused before Ray is started (in this process: main returns before importing Ray)."""
    from core.commands.main import main

    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    for args, message in (
        (["--out", str(tmp_path / "a")], "give at least one --grid"),
        (["--grid", "beta", "--out", str(tmp_path / "a")], "SETTING=V1,V2"),
        (["--grid", "colour=1,2", "--out", str(tmp_path / "a")], "not a setting that can be swept"),
        (["--grid", "beta=0.5,0.5", "--out", str(tmp_path / "a")], "listed twice"),
        (["--grid", "beta=0.5,99", "--out", str(tmp_path / "a")], "≤ 20"),
        (["--grid", "beta=1", "--grid", "beta=2", "--out", str(tmp_path / "a")], "given twice"),
        (["--out", str(tmp_path / "nothing"), "--resume"], "nothing to resume"),
        (["--grid", "beta=1,2", "--out", str(tmp_path / "full")], "is not empty"),
    ):
        assert main(["sweep", *args]) == 2, args
        assert message in capsys.readouterr().err, args
    assert not (tmp_path / "a").exists()
