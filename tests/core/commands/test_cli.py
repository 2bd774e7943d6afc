"""The `convae-explorer` command, run for real in child processes: argument checks, errors, training, Ctrl+C."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torchvision
from core_testkit import fast_config

from core.data.datasets import load_dataset
from core.files.checkpoint import load_checkpoint
from core.training.engine import Trainer

pytestmark = pytest.mark.slow  # every test here waits on child Pythons, each spending seconds importing torch

CLI = [sys.executable, "-m", "core"]
#: The installed console script, where there is one: `--help` goes through it, the rest through `-m core.commands.main`.
SCRIPT = Path(sys.executable).parent / "convae-explorer"

#: Invocations that need no data and no training: run all at once (each child spends seconds importing torch).
QUICK = {
    "help": ["--help"],
    "epochs 0": ["train", "--epochs", "0"],
    "lr -1": ["train", "--lr", "-1"],
    "latent 65": ["train", "--latent-dim", "65"],
    "batch x": ["train", "--batch-size", "x"],
    "no data": ["train", "--dataset", "mnist", "--no-download", "--data-dir", "{empty}"],
    "device cuda:abc": ["train", "--device", "cuda:abc"],
    "device tpu": ["train", "--device", "tpu"],
    "seed -1": ["train", "--seed", "-1"],
    "resume and dataset": ["train", "--resume", "{empty}/x.safetensors", "--dataset", "mnist"],
    "out is a folder": ["train", "--out", "{empty}", "--epochs", "1"],
    "out is notes": ["train", "--out", "{empty}/notes.txt", "--epochs", "1"],
    "open missing": ["{empty}/missing.safetensors"],
}


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory: pytest.TempPathFactory, subprocess_env: dict) -> dict[str, tuple]:
    """Run every QUICK invocation concurrently; return (exit code, stdout, stderr, empty data dir) per name."""
    empty = tmp_path_factory.mktemp("empty-data")
    (empty / "notes.txt").write_text("my thesis")
    env = {**subprocess_env, "CONVAE_DATA_DIR": str(empty)}
    children = {}
    for name, args in QUICK.items():
        command = [str(SCRIPT)] if name in ("help", "open missing") and SCRIPT.exists() else CLI
        children[name] = subprocess.Popen(
            command + [arg.format(empty=empty) for arg in args],
            cwd=empty, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    results = {}
    for name, child in children.items():
        stdout, stderr = child.communicate(timeout=180)
        results[name] = (child.returncode, stdout, stderr, empty)
    return results


def test_help_lists_the_subcommands(quick_runs: dict) -> None:
    code, stdout, stderr, _ = quick_runs["help"]
    assert code == 0, stderr
    for command in ("train", "bench", "open"):
        assert command in stdout


@pytest.mark.parametrize(
    ("name", "states"),
    [
        ("epochs 0", "epochs must be between 1 and 10000, got 0"),
        ("lr -1", "learning rate must be > 0 and ≤ 10, got -1"),
        ("latent 65", "latent size must be between 1 and 64, got 65"),
        ("batch x", "batch size must be an integer between 1 and 4096, got 'x'"),
        ("device cuda:abc", "device must be one of auto, cpu, cuda, mps or cuda:N (N a GPU number), got 'cuda:abc'"),
        ("device tpu", "got 'tpu'"),
        ("seed -1", "seed must be between 0 and 2147483647, got -1"),
        ("resume and dataset", "--dataset cannot be combined with --resume"),
    ],
)
def test_bad_arguments_exit_2_stating_the_valid_range(quick_runs: dict, name: str, states: str) -> None:
    code, _, stderr, _ = quick_runs[name]
    assert code == 2
    assert states in stderr
    assert "Traceback" not in stderr


def test_out_is_checked_before_training_and_never_replaces_a_foreign_file(quick_runs: dict) -> None:
    code, stdout, stderr, empty = quick_runs["out is a folder"]
    assert code == 1 and "is a folder" in stderr and "Training on" not in stdout
    code, stdout, stderr, empty = quick_runs["out is notes"]
    assert code == 1 and "is not a convae-explorer checkpoint" in stderr and "--force" in stderr
    assert "Training on" not in stdout
    assert (Path(empty) / "notes.txt").read_text() == "my thesis"


def test_opening_a_missing_file_says_so_on_the_terminal(quick_runs: dict) -> None:
    code, _, stderr, empty = quick_runs["open missing"]
    assert code == 2 and f"{Path(empty) / 'missing.safetensors'} does not exist" in stderr


def test_missing_data_exits_1_naming_the_folder_and_the_fallback(quick_runs: dict) -> None:
    code, _, stderr, empty = quick_runs["no data"]
    assert code == 1
    assert str(Path(empty) / "MNIST" / "raw") in stderr
    assert "train-images-idx3-ubyte" in stderr
    assert "--dataset digits-5k" in stderr
    assert "Traceback" not in stderr
    assert not list(Path(empty).glob("*.safetensors")), "nothing may be saved when nothing was trained"


def test_train_writes_a_checkpoint_that_matches_the_engine(
    idx_root: Path, tmp_path: Path, subprocess_env: dict
) -> None:
    """`train` on tiny real IDX files (found through $CONVAE_DATA_DIR) saves a loadable 2-epoch checkpoint."""
    out = tmp_path / "run.safetensors"
    done = subprocess.run(
        [*CLI, "train", "--dataset", "mnist", "--no-download", "--epochs", "2", "--device", "cpu", "--threads", "1",
         "--out", str(out)],
        cwd=tmp_path, env={**subprocess_env, "CONVAE_DATA_DIR": str(idx_root)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Training on mnist (128 images)" in done.stdout
    assert "epoch 2/2  mean MSE" in done.stdout
    assert f"Saved {out}" in done.stdout

    checkpoint = load_checkpoint(out)
    assert checkpoint.dataset == "mnist"
    assert checkpoint.classes == tuple(torchvision.datasets.MNIST.classes)
    assert len(checkpoint.progress.epoch_losses) == 2
    assert checkpoint.progress.epoch == 2 and checkpoint.progress.step == 8  # 128 images / batch 32, twice
    assert checkpoint.train_config.epochs == 2 and checkpoint.model_config.latent_dim == 2

    # The CLI's defaults (seed, lr, batch size) reach the engine: the same run in-process gives the same losses.
    dataset = load_dataset("mnist", root=idx_root, download=False)
    trainer = Trainer(dataset, fast_config(epochs=2))
    list(trainer.run(snapshots=False))
    assert checkpoint.progress.batch_losses == pytest.approx(trainer.progress.batch_losses, rel=1e-4)


def read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@pytest.mark.parametrize(
    ("signals", "code"),
    [((signal.SIGINT,), 130), ((signal.SIGTERM,), 143), ((signal.SIGHUP,), 129), ((signal.SIGINT,) * 2, 130)],
    ids=["Ctrl+C", "SIGTERM", "SIGHUP", "Ctrl+C twice"],
)
def test_a_signal_saves_and_exits_128_plus_it(
    idx_root: Path, tmp_path: Path, subprocess_env: dict, signals: tuple, code: int
) -> None:
    """SIGINT, SIGTERM or SIGHUP during training stops it between two steps: a checkpoint of the steps done so far,
    then exit 128 + the signal. A second Ctrl+C ~0.3 s later waits for the save instead of breaking it."""
    out = tmp_path / "interrupted.safetensors"
    child = subprocess.Popen(
        [*CLI, "train", "--dataset", "mnist", "--no-download", "--epochs", "1000", "--device", "cpu",
         "--threads", "1", "--out", str(out)],
        cwd=tmp_path, env={**subprocess_env, "CONVAE_DATA_DIR": str(idx_root)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(child.stdout, lines), daemon=True).start()
    seen = []
    try:
        deadline = time.monotonic() + 180
        while not any(line.startswith("epoch 1/1000  batch") for line in seen):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"the child ended before training: {child.wait()} {child.stderr.read()}"
            seen.append(line)
        for number in signals:
            child.send_signal(number)
            time.sleep(0.3)
        exit_code = child.wait(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    stderr = child.stderr.read()
    while (line := lines.get(timeout=10)) is not None:
        seen.append(line)
    stdout = "".join(seen)

    assert exit_code == code, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert "Training stopped" in stdout
    assert f"Saved {out}" in stdout
    checkpoint = load_checkpoint(out)
    assert 0 < checkpoint.progress.step < 4000
    assert len(checkpoint.progress.batch_losses) == checkpoint.progress.step
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left behind"


def test_the_default_name_never_replaces_a_file(idx_root: Path, tmp_path: Path, subprocess_env: dict) -> None:
    (tmp_path / "convae-mnist.safetensors").write_text("an earlier file with the default name")
    done = subprocess.run(
        [*CLI, "train", "--dataset", "mnist", "--no-download", "--epochs", "1", "--threads", "1"],
        cwd=tmp_path, env={**subprocess_env, "CONVAE_DATA_DIR": str(idx_root)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "convae-mnist.safetensors").read_text() == "an earlier file with the default name"
    assert "Saved convae-mnist-2.safetensors" in done.stdout
    assert load_checkpoint(tmp_path / "convae-mnist-2.safetensors").progress.epoch == 1
