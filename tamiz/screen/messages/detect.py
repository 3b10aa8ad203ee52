"""Tell a payment message file's format from its first bytes."""

from __future__ import annotations

import re

XML = "xml"
MT = "mt"

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff(data: bytes) -> str | None:
    """"xml", "mt", or None when the bytes are neither (empty, binary, other text)."""
    head = data[:4096]
    for bom in _BOMS:
        if head.startswith(bom):
            if bom != _BOMS[0]:
                return XML if b"<\x00" in head or b"\x00<" in head else None
            head = head[len(bom) :]
            break
    head = head.lstrip()
    if not head or b"\x00" in head:
        return None
    if head.startswith(b"<"):
        return XML
    if head.startswith(b"{") and re.match(rb"\{[1-5]:", head):
        return MT
    if re.match(rb":20:", head):
        return MT
    return None


def looks_binary(data: bytes) -> bool:
    """Control bytes other than tab/CR/LF/SUB in the first 4 KiB mean not text."""
    head = data[:4096]
    if not head:
        return False
    bad = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 26))
    return b"\x00" in head or bad > len(head) // 100
