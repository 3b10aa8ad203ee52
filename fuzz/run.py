#!/usr/bin/env python
"""Run every atheris fuzz target for N seconds; exit 1 if any target crashed.

    python fuzz/run.py --seconds 60            # the long run recorded in docs/security.md
    python fuzz/run.py --seconds 10 --targets all   # CI-sized: all parsers in one process

A crash is any exception other than SourceError (or a broken invariant of the
normaliser); atheris writes the input to `crash-*` in the output folder.
Prints one line per target: executions, coverage edges, crashes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import make_corpus  # noqa: E402

ALL = sorted(p.stem.removeprefix("fuzz_") for p in HERE.glob("fuzz_*.py"))
TARGETS = [t for t in ALL if t != "all"]  # the default: one process per target


@dataclass
class Outcome:
    target: str
    returncode: int
    executions: int
    coverage: int
    seconds: float
    log: Path

    @property
    def crashed(self) -> bool:
        return self.returncode != 0


def run_target(target: str, seconds: int, workdir: Path) -> Outcome:
    corpus = make_corpus(target, workdir / target / "corpus")
    artifacts = workdir / target / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    log = workdir / target / "log.txt"
    started = time.monotonic()
    with open(log, "wb") as fh:
        proc = subprocess.run(
            [sys.executable, str(HERE / f"fuzz_{target}.py"), f"-max_total_time={seconds}", "-print_final_stats=1",
             "-rss_limit_mb=2048", "-timeout=20", f"-artifact_prefix={artifacts}/", str(corpus)],
            stdout=fh, stderr=subprocess.STDOUT, cwd=HERE, timeout=seconds + 300,
        )
    text = log.read_text(errors="replace")
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
    covs = re.findall(r"\bcov: (\d+)", text)
    return Outcome(target, proc.returncode, int(execs.group(1)) if execs else 0, int(covs[-1]) if covs else 0,
                   time.monotonic() - started, log)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10, help="fuzzing time per target")
    ap.add_argument("--targets", default="", help="comma-separated subset (default: all)")
    ap.add_argument("--jobs", type=int, default=1, help="targets run at once")
    ap.add_argument("--workdir", type=Path, default=None, help="where corpora, logs and crash inputs go")
    args = ap.parse_args(argv)
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed (pip install atheris)", file=sys.stderr)
        return 2
    targets = [t for t in args.targets.split(",") if t] or TARGETS
    unknown = sorted(set(targets) - set(ALL))
    if unknown:
        print(f"unknown targets: {', '.join(unknown)}; known: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tamiz-fuzz-"))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda t: run_target(t, args.seconds, workdir), targets))
    print(f"{'target':<20}{'execs':>10}{'cov':>8}{'secs':>8}  result")
    for o in outcomes:
        result = f"CRASH (exit {o.returncode}, see {o.log})" if o.crashed else "ok"
        print(f"{o.target:<20}{o.executions:>10}{o.coverage:>8}{o.seconds:>8.1f}  {result}")
    total = sum(o.executions for o in outcomes)
    crashed = [o.target for o in outcomes if o.crashed]
    print(f"total executions {total}; crashes: {', '.join(crashed) or 'none'}; workdir {workdir}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
