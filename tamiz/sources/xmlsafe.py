"""One hardened way to read a list's XML file.

Official lists never need a DTD, so any DOCTYPE is refused outright: that
closes external entities (XXE), entity-expansion bombs and network fetches in
one rule. The parser itself is also locked down (no entity resolution, no
network, no huge-tree mode) as a second line of defence.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from tamiz.errors import SourceError

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(path: Path | str, expect_root: str | tuple[str, ...] | None = None) -> etree._Element:
    """Parse `path` and return its root element, or raise SourceError naming the file.

    `expect_root` is the local name (or names) the root must have; a different
    root means the file is some other format.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot read file: {exc.strerror or exc}") from exc
    return parse_xml_bytes(data, path, expect_root)


def parse_xml_bytes(data: bytes, path: Path | str, expect_root: str | tuple[str, ...] | None = None) -> etree._Element:
    if not data.strip():
        raise SourceError(path, "file is empty")
    prolog_end = _ROOT_START.search(data.lstrip(b"\xef\xbb\xbf"))
    head = data[: (prolog_end.start() + 3) if prolog_end else len(data)]
    if _DOCTYPE.search(head) or _DOCTYPE.search(data[:4096]):
        raise SourceError(path, "XML with a DOCTYPE/ENTITY declaration refused (possible XXE or entity bomb)")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise SourceError(path, f"not well-formed XML (truncated or corrupt?): {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise SourceError(path, "XML with a DOCTYPE declaration refused")
    if expect_root is not None:
        names = (expect_root,) if isinstance(expect_root, str) else expect_root
        if local(root) not in names:
            raise SourceError(path, f"unexpected XML root <{local(root)}>, expected <{'/'.join(names)}>: wrong format?")
    return root


def local(el: etree._Element) -> str:
    """Tag name without namespace."""
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def text(el: etree._Element | None) -> str:
    """Element text with whitespace collapsed; '' for missing/empty."""
    if el is None or el.text is None:
        return ""
    return " ".join(el.text.split())
