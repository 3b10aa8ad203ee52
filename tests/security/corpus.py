"""Every input format tamiz reads, with a small real sample of each.

Shared by the hostile-file tests, the hypothesis properties and the atheris
fuzz targets (fuzz/ imports this module), so all three cover the same
parsers. Samples are cut from the real files in ../shared/data: XML keeps at
most a few children per repeated element, text formats keep their first
lines, so a mutation test spends its time on the parser, not on I/O.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
LISTS = DATA / "lists"
MESSAGES = DATA / "messages"
FIXTURES = REPO / "tests" / "fixtures"


@dataclass(frozen=True)
class Format:
    """One parser: how to call it and a real file set to derive samples from."""

    name: str
    parser: str  # "module:function" taking (paths, dataset)
    dataset: str
    kind: str  # "xml", "csv", "json" or "text": how hostile variants are built
    files: tuple[Path, ...]  # real files; the first is the one mutated
    file_name: str  # name the mutated file is written under (parsers recognise roles by name)

    def parse(self) -> Callable[[Sequence[Path], str], object]:
        module, _, func = self.parser.partition(":")
        return getattr(importlib.import_module(module), func)

    @property
    def available(self) -> bool:
        return all(f.exists() for f in self.files)


FORMATS: tuple[Format, ...] = (
    Format("ofac_csv", "tamiz.sources.ofac_csv:parse", "us_ofac_sdn", "csv",
           (LISTS / "us_ofac_sdn" / "sdn.csv",), "sdn.csv"),
    Format("ofac_xml", "tamiz.sources.ofac_xml:parse", "us_ofac_sdn", "xml",
           (LISTS / "us_ofac_consolidated" / "consolidated_2018-04-06.xml",), "sdn.xml"),
    Format("ofac_advanced_xml", "tamiz.sources.ofac_advanced_xml:parse", "us_ofac_sdn", "xml",
           (FIXTURES / "ofac_sdn_advanced_handbuilt.xml",), "sdn_advanced.xml"),
    Format("un_xml", "tamiz.sources.un_xml:parse", "un_sc_sanctions", "xml",
           (LISTS / "un_sc" / "consolidated_2020-03-20.xml",), "consolidated.xml"),
    Format("uk_hmt_csv", "tamiz.sources.uk_hmt_csv:parse", "gb_hmt_sanctions", "csv",
           (LISTS / "uk_hmt_ofsi" / "sanctionsconlist_2018-04-13.csv",), "sanctionsconlist.csv"),
    Format("uk_conlist_2022", "tamiz.sources.uk_conlist_2022:parse", "gb_hmt_sanctions", "csv",
           (FIXTURES / "uk_conlist_2022_from_2018.csv",), "ConList.csv"),
    Format("ca_sema_xml", "tamiz.sources.ca_sema_xml:parse", "ca_dfatd_sema_sanctions", "xml",
           (LISTS / "ca_sema" / "sema-lmes.xml",), "sema-lmes.xml"),
    Format("eu_fsf_xml", "tamiz.sources.eu_fsf_xml:parse", "eu_fsf", "xml",
           (FIXTURES / "eu_fsf_handbuilt.xml",), "eu_fsf.xml"),
    Format("bis_dpl", "tamiz.sources.bis_dpl:parse", "us_bis_denied", "text",
           (LISTS / "us_bis_dpl" / "dpl.txt",), "dpl.txt"),
    Format("us_csl", "tamiz.sources.us_csl:parse", "us_trade_csl", "csv",
           (LISTS / "us_csl" / "consolidated_2025_trimmed.csv",), "consolidated.csv"),
    Format("ftm", "tamiz.sources.ftm:parse", "opensanctions", "json",
           (LISTS / "opensanctions" / "t1_eu_fsf_sample.entities.ftm.json",), "entities.ftm.json"),
    Format("internal", "tamiz.sources.internal:parse", "my_internal", "csv",
           (FIXTURES / "internal_sample.csv",), "internal.csv"),
)
XML_FORMATS = tuple(f for f in FORMATS if f.kind == "xml")

MESSAGE_FILES: tuple[Path, ...] = (
    MESSAGES / "swift_mt103" / "MT103-out-ack.rje",
    MESSAGES / "iso20022_pacs008" / "fedwire_CustomerCreditTransfer_Scenario1_Step1_pacs.008.xml",
    MESSAGES / "iso20022_pain001" / "iso_mdr_example_pain.001.001.03.xml",
)

INTERNAL_SAMPLE = (
    "id,name,schema,aliases,birth_date,nationality,id_numbers,program\n"
    "c1,Juan PEREZ GARCIA,Person,Juanito;J. Perez,1970-02-03,mx,passport:G123,own-exit\n"
    "c2,FRONT TRADING SA DE CV,Company,,,mx,,news\n"
)


def by_name(name: str) -> Format:
    return next(f for f in FORMATS if f.name == name)


def _trim_xml(data: bytes, keep: int) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser=parser)
    for el in root.iter():
        seen: dict[object, int] = {}
        for child in list(el):
            seen[child.tag] = seen.get(child.tag, 0) + 1
            if seen[child.tag] > keep:
                el.remove(child)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def sample_bytes(fmt: Format, keep: int = 3, lines: int = 25) -> bytes:
    """A small but real input for `fmt`: its file, trimmed."""
    if fmt.name == "internal":
        return INTERNAL_SAMPLE.encode()
    data = fmt.files[0].read_bytes()
    if fmt.kind == "xml":
        return _trim_xml(data, keep)
    head = data.splitlines(keepends=True)
    # The OFAC legacy CSV ends with a Ctrl-Z marker line the parser checks for.
    tail = [b"\x1a"] if fmt.name == "ofac_csv" else []
    return b"".join(head[:lines] + tail)


def write_input(fmt: Format, directory: Path, data: bytes) -> list[Path]:
    """`data` as the format's main file in `directory`; the paths to hand the parser."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / fmt.file_name
    path.write_bytes(data)
    return [path]
