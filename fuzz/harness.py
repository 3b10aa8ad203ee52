"""What every fuzz target shares: build a seed corpus, write each input where the
parser expects it, and treat SourceError as the only acceptable failure.

A target file is three lines (see fuzz_un_xml.py); `python fuzz/fuzz_X.py
[libFuzzer flags]` runs it under atheris, and `fuzz/run.py` runs them all.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the shared sample corpus lives with the security tests

from security.corpus import FORMATS, MESSAGE_FILES, by_name, sample_bytes  # noqa: E402

NAME_SEEDS = [
    "CARTEL DE JALISCO NUEVA GENERACION", "GUZMAN LOERA, Joaquin", "G.U.Z.M.A.N", "Ｇｕｚｍáｎ",
    "Гузман", "Αλ-Καΐντα", "AL\u200bQAIDA", "Sociedad Anónima de C.V.", "0@A", "$4L4Z4R", "عبد الله",
]


SINGLE = [f.name for f in FORMATS] + ["messages", "normalize"]


def seeds(target: str) -> list[bytes]:
    if target == "all":  # one process for every target: the first byte picks one
        return [bytes([i]) + seed for i, name in enumerate(SINGLE) for seed in seeds(name)]
    if target == "normalize":
        return [s.encode("utf-8") for s in NAME_SEEDS]
    if target == "messages":
        return [p.read_bytes() for p in MESSAGE_FILES if p.exists()]
    fmt = by_name(target)
    if fmt.name != "internal" and not fmt.available:
        return [b""]
    return [sample_bytes(fmt)]


def make_corpus(target: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(seeds(target)):
        (directory / f"seed-{i}").write_bytes(data)
    return directory


def one_input(target: str):  # type: ignore[no-untyped-def]
    """The TestOneInput function for `target`: raises only on a real bug."""
    from tamiz.errors import SourceError

    if target == "all":
        tests = [one_input(name) for name in SINGLE]

        def test_any(data: bytes) -> None:
            if data:
                tests[data[0] % len(tests)](data[1:])

        return test_any

    if target == "normalize":
        from tamiz.normalize import analyse, fold_text

        allowed = set("abcdefghijklmnopqrstuvwxyz0123456789 ")

        def test_name(data: bytes) -> None:
            text = data.decode("utf-8", errors="replace")
            folded = fold_text(text)
            if not set(folded) <= allowed:
                raise AssertionError(f"fold_text({text!r}) left {folded!r}")
            analyse(text)

        return test_name
    if target == "messages":
        from tamiz.screen.messages import parse_messages

        def test_message(data: bytes) -> None:
            try:
                parse_messages(data, source="fuzz")
            except SourceError:
                pass

        return test_message
    fmt = by_name(target)
    parse = fmt.parse()
    workdir = Path(tempfile.mkdtemp(prefix=f"fuzz-{target}-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    path = workdir / fmt.file_name

    def test_file(data: bytes) -> None:
        path.write_bytes(data)
        try:
            parse([path], fmt.dataset)
        except SourceError:
            pass

    return test_file


def main(target: str) -> None:
    import atheris

    with atheris.instrument_imports(include=["tamiz"]):
        import tamiz.normalize  # noqa: F401
        import tamiz.screen.messages  # noqa: F401
        import tamiz.sources.registry  # noqa: F401
        for fmt in FORMATS:
            fmt.parse()
    test = one_input(target)
    atheris.Setup(sys.argv, test)
    atheris.Fuzz()
