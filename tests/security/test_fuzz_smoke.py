"""CI-sized fuzzing: every parser and the normaliser under atheris for ~10 s in one
process (fuzz/fuzz_all.py). The long run is `python fuzz/run.py --seconds 60`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from conftest import REPO


@pytest.mark.timeout(240)
def test_fuzz_all_targets_briefly_finds_no_crash(tmp_path) -> None:
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (pip install atheris); the hypothesis properties still run")
    proc = subprocess.run(
        [sys.executable, str(REPO / "fuzz" / "run.py"), "--seconds", "10", "--targets", "all", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=230,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("all "))
    executions = int(line.split()[1])
    assert executions > 50, line  # it really ran inputs, not just started
