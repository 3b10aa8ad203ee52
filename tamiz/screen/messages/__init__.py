"""Payment messages (SWIFT MT103 incl. RJE batches, ISO 20022 pacs.008 and
pain.001) parsed into parties and free-text fields for screening."""

from __future__ import annotations

from pathlib import Path

from tamiz.errors import SourceError
from tamiz.screen.messages.detect import XML, looks_binary, sniff
from tamiz.screen.messages.iso20022 import ISOError, parse_iso
from tamiz.screen.messages.model import Party, PartyId, PaymentMessage, TextField
from tamiz.screen.messages.mt103 import parse_mt

__all__ = ["Party", "PartyId", "PaymentMessage", "TextField", "parse_messages", "parse_files"]

MAX_BYTES = 64 * 1024 * 1024


def parse_messages(path_or_bytes: str | Path | bytes, source: str | None = None) -> list[PaymentMessage]:
    """All payment messages in one file (or its bytes), in file order.

    A file that cannot be read as a whole raises SourceError; in a batch, a
    broken message comes back with `error` set and the others still parse.
    """
    if isinstance(path_or_bytes, bytes):
        data, name = path_or_bytes, source or "<bytes>"
    else:
        path = Path(path_or_bytes)
        name = source or path.name
        try:
            if path.stat().st_size > MAX_BYTES:
                raise SourceError(name, f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
            data = path.read_bytes()
        except OSError as exc:
            raise SourceError(name, f"cannot read file: {exc.strerror or exc}") from None
    if not data.strip():
        raise SourceError(name, "file is empty")
    kind = sniff(data)
    if kind is None:
        if looks_binary(data):
            raise SourceError(name, "binary data, not a payment message")
        raise SourceError(name, "not a recognised payment message (expected SWIFT MT '{1:' blocks or ISO 20022 XML)")
    if kind == XML:
        try:
            return parse_iso(data, name)
        except ISOError as exc:
            raise SourceError(name, str(exc)) from None
    return _parse_mt(data, name)


def _parse_mt(data: bytes, name: str) -> list[PaymentMessage]:
    if looks_binary(data):
        raise SourceError(name, "binary data inside a SWIFT MT file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    messages = parse_mt(text, name)
    if not messages:
        raise SourceError(name, "no payment message found (only acknowledgements or headers)")
    if len(messages) == 1 and messages[0].error:
        raise SourceError(name, messages[0].error)
    if all(m.error for m in messages):
        raise SourceError(name, f"none of the {len(messages)} messages could be parsed; first: {messages[0].error}")
    return messages


def parse_files(paths: list[str | Path]) -> list[PaymentMessage]:
    """Messages of several files, in order; the first unreadable file raises."""
    out: list[PaymentMessage] = []
    for path in paths:
        out.extend(parse_messages(path))
    return out
