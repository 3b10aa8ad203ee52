"""Inputs that are not (whole) payment messages: clear errors, and batch resilience."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tamiz.errors import SourceError
from tamiz.screen.messages import parse_messages

GOOD = b"{1:F01BANKDEFFAXXX0000000001}{2:I103BANKUS33XXXXN}{4:\n:20:GOOD%d\n:32A:240102EUR5,\n:59:/1\nJOHN DOE\n-}"


def _error(path_or_bytes) -> SourceError:
    with pytest.raises(SourceError) as info:
        parse_messages(path_or_bytes)
    return info.value


def test_empty_file(tmp_path: Path):
    path = tmp_path / "empty.rje"
    path.write_bytes(b"  \n")
    err = _error(path)
    assert err.path == "empty.rje" and "empty" in err.problem


def test_missing_file(tmp_path: Path):
    assert "cannot read" in _error(tmp_path / "nope.xml").problem


def test_binary_garbage(tmp_path: Path):
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 4)
    assert "binary" in _error(path).problem


def test_other_text_is_not_a_message():
    assert "not a recognised payment message" in _error(b"name,country\nfoo,bar\n").problem


def test_truncated_xml(messages_dir: Path, tmp_path: Path):
    data = (messages_dir / "iso20022_pain001" / "iso_mdr_example_pain.001.001.03.xml").read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(data[: len(data) // 2])
    err = _error(path)
    assert err.path == "cut.xml" and "malformed or truncated" in err.problem


def test_doctype_and_entities_are_refused(tmp_path: Path):
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>'
        b"<CdtTrfTxInf><Cdtr><Nm>&x;</Nm></Cdtr></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>"
    )
    assert "DOCTYPE" in _error(xxe).problem
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><Document/>'
    assert "refused" in _error(bomb).problem


def test_xml_that_is_not_a_credit_transfer():
    err = _error(b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>')
    assert "no pacs.008" in err.problem and "Document" in err.problem


def test_single_mt_message_block_never_closed():
    err = _error(b"{1:F01BANKDEFFAXXX0000000001}{2:I103BANKUS33XXXXN}{4:\n:20:X\n:59:JOHN\n")
    assert "block {4:} is never closed" in err.problem


def test_header_block_never_closed():
    assert "never closed" in _error(b"{1:F01BANKDEFFAXXX0000000001}{2:I103BANKUS33XXXXN{4:\n:20:X\n-}").problem


def test_batch_keeps_going_past_a_broken_message(tmp_path: Path):
    broken = b"{1:F01BANKDEFFAXXX0000000002}{2:I103BANKUS33XXXXN}{3:{108:ABC}{4:\n:20:BAD\n-}"
    path = tmp_path / "batch.rje"
    path.write_bytes(b"$".join([GOOD % 1, broken, GOOD % 3, b"{1:F01BANKDEFFAXXX0000000004}{4:\n:20:CUT\n:59:X\n", GOOD % 5]))
    msgs = parse_messages(path)
    assert [m.index for m in msgs] == [1, 2, 3, 4, 5]
    assert [m.message_id for m in msgs] == ["GOOD1", None, "GOOD3", None, "GOOD5"]
    assert [m.ok for m in msgs] == [True, False, True, False, True]
    assert "block {3:}" in msgs[1].error
    assert "block {4:} is never closed" in msgs[3].error
    assert msgs[2].party("beneficiary").name == "JOHN DOE"


def test_unclosed_block_does_not_swallow_the_next_message():
    # Two messages without "$": the first never closes block 4; the second must survive.
    data = b"{1:F01BANKDEFFAXXX0000000001}{2:I103BANKUS33XXXXN}{4:\n:20:CUT\n" + GOOD % 2
    msgs = parse_messages(data)
    assert [m.ok for m in msgs] == [False, True]
    assert msgs[1].message_id == "GOOD2"


def test_every_message_broken_is_an_error():
    bad = b"{1:F01BANKDEFFAXXX0000000001}{4:\n:20:X\n"
    assert "none of the 2 messages" in _error(bad + b"$" + bad).problem


def test_only_acks_is_an_error():
    assert "no payment message" in _error(b"{1:F21AAAAUSLAAXXX5195167828}{4:{177:1704260717}{451:0}}").problem


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from([b"", b"{1:", b"{1:F01BANKDEFFAXXX0000000001}{4:\n:20:", b"<?xml version='1.0'?><Document>"]),
    body=st.binary(max_size=200),
)
def test_any_input_parses_or_raises_source_error(prefix: bytes, body: bytes):
    """Whatever the bytes, the parser answers with messages or one SourceError."""
    try:
        msgs = parse_messages(prefix + body)
    except SourceError:
        return
    assert all(m.error or m.format for m in msgs)


def test_truncated_real_batch_never_crashes(messages_dir: Path):
    data = (messages_dir / "swift_mt103" / "MT103-bulk-with-ack.rje").read_bytes()
    for cut in range(1, len(data), 13):
        try:
            msgs = parse_messages(data[:cut])
        except SourceError:
            continue
        assert msgs and [m.index for m in msgs] == list(range(1, len(msgs) + 1))
        assert all(m.ok for m in msgs[:-1])  # only the cut-off last one may be broken
