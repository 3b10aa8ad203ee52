"""OFAC remarks text → structured facts.

OFAC's legacy files (SDN.CSV, CONS_PRIM.CSV) keep most of what is known about a
party in one free-text column: "DOB 17 Jul 1966; alt. DOB 17 Jul 1964; POB ...;
a.k.a. 'Mencho'; Passport G12345 (Mexico) issued 01 Jan 2010; Linked To: ...".
This module splits that text into fragments and recognises each one. A
fragment that no rule recognises is returned in `unparsed`, verbatim, so the
caller can keep and count it: nothing is dropped silently.

Identifiers are recognised by label (`_ID_LABELS`, most specific first); any
other "<Label> <value with a digit> (<Country>)" fragment whose label ends like
an identifier label ("No.", "Number", "#", "ID", "Code"...) becomes an
identifier of type "other" with its label kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tamiz.model import Entity, FuzzyDate, Identifier, Name, NameKind, Relation
from tamiz.sources.countries import country_code
from tamiz.sources.dates import parse_date, parse_iso


@dataclass(slots=True)
class Remarks:
    """What one remarks text says, by Entity field."""

    names: list[Name] = field(default_factory=list)
    birth_dates: list[FuzzyDate] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    gender: str | None = None
    identifiers: list[Identifier] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    listed_on: str | None = None
    properties: dict[str, list[str]] = field(default_factory=dict)
    unparsed: list[str] = field(default_factory=list)
    # fragment kind → count, for reconciliation and the residue report
    kinds: dict[str, int] = field(default_factory=dict)

    def add_prop(self, key: str, value: str | None) -> None:
        if value:
            values = self.properties.setdefault(key, [])
            if value not in values:
                values.append(value)


# ---------------------------------------------------------------- splitting


def split_remarks(text: str | None) -> list[str]:
    """Split on ';' outside parentheses and outside quoted a.k.a. names."""
    if not text:
        return []
    parts: list[str] = []
    buf: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == ";" and depth == 0:
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    parts.append("".join(buf))
    # A quoted name that contains ';' was cut: glue it back until its quote closes.
    merged: list[str] = []
    for part in parts:
        if merged and _open_quote(merged[-1]):
            merged[-1] = merged[-1] + ";" + part
        else:
            merged.append(part)
    return [p.strip() for p in merged if p.strip()]


_QUOTED_START = re.compile(r"^\s*(?:alt\.\s+)?[fn]?\.?[a.]*k\.a\.\s+'", re.I)


def _open_quote(fragment: str) -> bool:
    if not _QUOTED_START.match(fragment):
        return False
    body = fragment.strip().rstrip(".")
    return not body.endswith("'")


# ---------------------------------------------------------------- identifiers

# (label pattern, identifier type). Order matters: most specific first.
_ID_LABELS: list[tuple[str, str]] = [
    (r"Vessel Registration Identification IMO", "imo"),
    (r"(?:Identification|Company) Number IMO", "imo"),
    (r"IMO(?: Number)?", "imo"),
    (r"MMSI", "mmsi"),
    (r"Vessel Registration Identification", "imo"),
    (r"(?:Other )?Vessel Call Sign|Call Sign", "call_sign"),
    (
        r"(?:Diplomatic |Official |Service |Travel |Stateless Person |British National Overseas |U\.S\.A\. )?"
        r"Passport(?: Booklet:?| No\.?| Number)?",
        "passport",
    ),
    (r"C\.?U\.?R\.?P\.?(?: #| No\.?)?", "curp"),
    (r"R\.?F\.?C\.?(?: #| No\.?)?", "rfc"),
    (r"Cedula No\.?|C[eé]dula(?: de Identidad)?(?: No\.?)?", "cedula"),
    (r"NIT #|NIT(?: No\.?)?", "nit"),
    (r"RUC #|RUC(?: No\.?)?", "ruc"),
    (r"SSN|Social Security Number", "ssn"),
    (r"D\.N\.I\.|DNI", "dni"),
    (r"V\.A\.T\. Number|VAT Number|VAT No\.?", "vat"),
    (r"Tax ID No\.|Tax ID|Tax Identification Number|Romanian Tax Registration|US FEIN|C\.U\.I\.T\.|RIF #|RIF|Italian Fiscal Code|RTN|NUIT|INN|Taxpayer Identification Number", "tax_id"),
    (r"Driver's License No\.?|Driver's License|Drivers License No\.?", "drivers_license"),
    (r"D-U-N-S Number|DUNS Number", "duns"),
    (r"LEI|Legal Entity Identifier", "lei"),
    (r"SWIFT/BIC|SWIFT Code|SWIFT", "swift_bic"),
    (r"Email Address|Email|E-mail", "email"),
    (r"Website|Web site|URL", "website"),
    (r"Phone Number|Phone No\.?|Telephone(?: No\.?| Number)?|PHONE|Tel\.?|Fax(?: No\.?| Number)?|Alt\. Fax", "phone"),
    (r"Aircraft Manufacturer's Serial Number \(MSN\)|Aircraft Serial Identification|Aircraft Construction Number \(also called L/N or S/N or F/N\)", "aircraft_serial"),
    (r"(?:Previous )?Aircraft Tail Number", "aircraft_tail"),
    (
        r"National ID No\.?|National ID Number|National ID|National Foreign ID Number|Personal ID Card|"
        r"Identification Number|Citizen's Card Number|Turkish Identification Number|Kenyan ID No\.?|"
        r"Tazkira National ID Card|Numero de Identidad|C\.U\.I\.|I\.F\.E\.|Credencial electoral|"
        r"Electoral Registry No\.?|ID No\.?|ID Card|Identity Card(?: No\.?)?|Residency Number|UAE Identification|"
        r"Moroccan Personal ID No\.?|CNP \(Personal Numerical Code\)|Cartilla de Servicio Militar Nacional",
        "national_id",
    ),
    (
        r"Registration Number|Registration ID|Registration No\.?|(?:UK )?Company Number|Commercial Registry Number|"
        r"Business Registration Number|Business Registration Document #(?: CUD:)?|Folio Mercantil No\.?|"
        r"Matricula Mercantil No\.?|Trade License No\.?|C\.R\. No\.?|Chamber of Commerce Number|"
        r"Government Gazette Number|Certificate of Incorporation Number|Legal Entity Number|"
        r"Public Registration Number|Unified Social Credit Code \(USCC\)|United Social Credit Code Certificate \(USCCC\)|"
        r"Enterprise Number|Branch Unit Number|Business Number|Registered Charity No\.?|LE Number|"
        r"Dubai Chamber of Commerce Membership No\.?|Company ID(?: No\.?)?|Commercial Registration(?: No\.?| Number)?|"
        r"License(?: No\.?| Number)?|Licence(?: No\.?)?",
        "registration",
    ),
]
_ID_LABELS.append((r"Tarjeta Profesional|MICEX Code|UN/LOCODE|Interpol(?: Red Notice)?|TGMS", "other"))
_ID_RES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^(?P<label>{pat})(?::|\s)\s*(?P<rest>.+)$", re.I), kind) for pat, kind in _ID_LABELS
]
# "Digital Currency Address - XBT 1A2b..."
_CRYPTO = re.compile(r"^(?P<label>Digital Currency Address - (?P<cur>[A-Z0-9]+))\s+(?P<rest>\S+)$", re.I)
# Any other "<Label> <value with a digit>": the label must end like an identifier label.
_GENERIC_ID = re.compile(
    r"^(?P<label>[A-Z][\w'./\- ]*?(?:No\.?|Number|#|ID|Code|Card|Certificate|License|Licence|Document|"
    r"NumberID|Transponder Code|\([A-Z]{2,6}\)|[A-Z.]{2,8}))(?::|\s)\s*(?P<rest>\S*\d.*)$"
)
_NOTE_START = re.compile(r"\s+(?=(?:issued|expires|expired|valid|Border Crossing|Doc\.)\b)", re.I)


def _parse_identifier(kind: str, label: str, rest: str) -> Identifier | None:
    value, country, note = rest.strip(), None, None
    # The last "(...)" that names a country splits value / country / note.
    for m in reversed(list(re.finditer(r"\(([^()]*)\)", value))):
        code = country_code(m.group(1))
        if code:
            country = code
            note = value[m.end() :].strip(" .,") or None
            value = value[: m.start()].strip()
            break
    if note is None:
        parts = _NOTE_START.split(value, maxsplit=1)
        if len(parts) == 2:
            value, note = parts[0].strip(), parts[1].strip(" .")
    elif (parts := _NOTE_START.split(value, maxsplit=1)) and len(parts) == 2:
        value, note = parts[0].strip(), f"{parts[1].strip(' .,')} {note}"
    value = value.strip(" ,;").rstrip(".")
    if not value:
        return None
    return Identifier(type=kind, value=value, label=label.strip().rstrip(":"), country=country, note=note)


# ---------------------------------------------------------------- other fragments

_ALT = re.compile(r"^alt\.\s+", re.I)
_AKA = re.compile(r"^(?P<kind>a\.k\.a\.|f\.k\.a\.|n\.k\.a\.|d\.b\.a\.|aka|fka|nka|dba),?\s+(?P<name>.+)$", re.I)
_LINKED = re.compile(r"^Linked To:\s*(?P<name>.+)$", re.I)
_DOB = re.compile(r"^(?:DOB|Date of Birth)\s+(?P<v>.+)$", re.I)
_POB = re.compile(r"^(?:POB|Place of Birth)\s+(?P<v>.+)$", re.I)
_NAT = re.compile(r"^(?:nationality|national of)\s+(?P<v>.+)$", re.I)
_CIT = re.compile(r"^(?:citizen|citizenship)\s+(?P<v>.+)$", re.I)
_REGISTRATION_COUNTRY = re.compile(r"^Nationality of Registration\s+(?P<v>.+)$", re.I)
_GENDER = re.compile(r"^Gender\s+(?P<v>Male|Female)$", re.I)

# (pattern, property key, value transform). The value is group "v".
_PROPS: list[tuple[re.Pattern[str], str, Callable[[str], str | None]]] = [
    (re.compile(r"^Aircraft Model\s+(?P<v>.+)$", re.I), "model", str),
    (re.compile(r"^Aircraft Operator\s+(?P<v>.+)$", re.I), "operator", str),
    (re.compile(r"^Aircraft Manufacture Date\s+(?P<v>.+)$", re.I), "buildDate", parse_iso),
    (re.compile(r"^Aircraft Mode S Transponder Code\s+(?P<v>.+)$", re.I), "icaoCode", str),
    (re.compile(r"^Vessel Year of Build\s+(?P<v>.+)$", re.I), "buildDate", parse_iso),
    (re.compile(r"^(?:Other )?Vessel Type\s+(?P<v>.+)$", re.I), "type", str),
    (re.compile(r"^(?:Other )?Vessel Flag\s+(?P<v>.+)$", re.I), "flag", country_code),
    (re.compile(r"^Former Vessel Flag\s+(?P<v>.+)$", re.I), "pastFlags", country_code),
    (re.compile(r"^Vessel Owner\s+(?P<v>.+)$", re.I), "owner", str),
    (re.compile(r"^Organization Established Date\s+(?P<v>.+)$", re.I), "incorporationDate", parse_iso),
    (re.compile(r"^Organization Type:?\s+(?P<v>.+)$", re.I), "sector", str),
    (re.compile(r"^Target Type\s+(?P<v>.+)$", re.I), "classification", str),
    (re.compile(r"^ISIN\s+(?P<v>\S+)$", re.I), "isinCode", str),
    (re.compile(r"^Equity Ticker\s+(?P<v>.+)$", re.I), "ticker", str),
    (re.compile(r"^BIK \(RU\)\s+(?P<v>.+)$", re.I), "bikCode", str),
    (re.compile(r"^Issuer Name\s+(?P<v>.+)$", re.I), "issuerName", str),
    (re.compile(r"^(?:Chinese Commercial Code|CCC)\s+(?P<v>[\d ]+)$", re.I), "chineseCommercialCode", str),
    (re.compile(r"^(?:Religion)\s+(?P<v>.+)$", re.I), "religion", str),
]

# Sanctions-programme statements kept whole, as FtM-style sanctions information.
_SANCTIONS_INFO = re.compile(
    r"^(?:Additional Sanctions Information\b|Secondary sanctions risk\b|Transactions Prohibited For Persons\b|"
    r"Executive Order \d+|CAATSA Section\b|IFCA Determination\b|Listing Date\b|Effective Date\b|"
    r"Purchase/Sales For Divestment Date\b|For more information\b|Sanctions? Information\b|"
    r"Subject to Directive\b|Effective Date \(|Delisted\b|Designation Date\b|"
    r"United States financial institutions are prohibited\b)",
    re.I,
)
_LISTING_DATE = re.compile(r"^Listing Date \([^)]*\):?\s*(?P<v>.+)$", re.I)

# Status and scope statements: notes, not facts about identity.
_NOTES = re.compile(
    r"^(?:(?:and )?(?:all )?(?:other )?(?:offices|branches|locations)(?: and branches)?(?: worldwide| within\b| in\b)|"
    r"(?:and )?all (?:other )?(?:offices|branches|locations)\b|only locations in\b|.+ branch only$|"
    r"ICTY indictee\b|arrested\b|currently (?:incarcerated|in jail|in remand|in prison)\b|in custody\b|deceased\b|died\b|"
    r"reportedly deceased|Operations in\b|believed to be\b|also operations in\b|possibly\b|resident in\b|"
    r"residence\b|may be\b|Sentenced\b|Convicted\b|Released\b|Killed\b|Imprisoned\b|extradited\b|"
    r"Wanted by\b|named in\b|Individual's height\b|Holder of an? \b|From:?\s|This designation\b|"
    r"Associated with\b|Assoc[ia]*ted with\b|founded by\b|led\b|oversaw\b|"
    r"Tribe:|Subtribe:|Clan:|Subclan:|Organization:|Occupation:|Alternate Title\b|Position:|\(.*\)$)",
    re.I,
)
# An unlabelled document number followed by its issue date: "M0018061/104,issued 12 September 1993".
_BARE_DOCUMENT = re.compile(r"^(?P<rest>[A-Z0-9][\w/\-]*\d[\w/\-]*,?\s*issued\s.+)$")
_ETHNICITY = re.compile(r"^(?:ethnicity\s+)?(?P<v>Kurdish|Kurd|Bosnian Serb|Pashtun|Baloch|Uighur|Uyghur|Tajik|Hazara|Arab|Tuareg)$", re.I)
_BARE_EMAIL = re.compile(r"^(?P<v>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)(?:\s*\(email\))?$", re.I)
_BARE_WEBSITE = re.compile(r"^(?P<v>(?:https?://|www\.)\S+?)(?:\s*\(website\))?$", re.I)
# Family ties: "wife of X", "son of X".
_FAMILY = re.compile(
    r"^(?P<rel>(?:half-)?(?:wife|husband|spouse|son|daughter|brother|sister|father|mother|cousin|nephew|niece|"
    r"uncle|aunt|child|son-in-law|daughter-in-law|brother-in-law|sister-in-law|relative|grandson)) of\s+(?P<name>.+)$",
    re.I,
)
_FAMILY_POSSESSIVE = re.compile(r"^(?P<name>.+?)'s\s+(?P<rel>(?:first|second|third|eldest|youngest)?\s*(?:son|daughter|wife|brother|sister))$", re.I)

# Ranks and honorifics that are titles on their own.
_TITLES = re.compile(
    r"^(?:(?:Major|Brigadier|Lieutenant|Lt\.|Colonel|Army|Air Vice|Vice|Rear)\s+)?"
    r"(?:General|Colonel|Major|Captain|Lieutenant|Lieutenant Colonel|Lieutenant General|Admiral|Marshal|Air Marshal|"
    r"Commodore|Sergeant|Brigadier|Commander|Doctor|Dr\.?|Haji|Hajji|Sheikh|Shaykh|Mullah|Maulavi|Maulvi|Mawlawi|"
    r"Qari|Imam|Engineer|Professor|Prof\.?|Judge|Ambassador|Mufti|Ayatollah|Hojj?atoleslam|Sayyid|Emir|Prince|"
    r"Maulawi|Mulawi|Maulana|Moulana|Ustadz?|Lt\. Col\.|Mawlana|"
    r"Princess|King|Sultan)$",
    re.I,
)
# Words that make a fragment a position held ("Minister of Finance").
_POSITION_WORDS = re.compile(
    r"\b(?:Minister|Ministry|Director|President|Chairman|Chairwoman|Chairperson|Chair|Head|Member|Governor|"
    r"Commander|Chief|Secretary|Deputy|Officer|Representative|Official|Manager|Adviser|Advisor|advisor|Employee|"
    r"Ambassador|Judge|Magistrate|Rector|Speaker|Aide|Vice|Leader|leader|Founder|founder|Coordinator|Spokesman|"
    r"Spokesperson|Mayor|Prosecutor|Attorney|Senator|Deputy|Constituent|Board|Mufti|Financier|financier|"
    r"Treasurer|Inspector|Auditor|Counsel|Consul|Attache|Envoy|Emir|Amir|Commissioner|Executive|Principal|"
    r"General|Colonel|Captain|Major|Lieutenant|Admiral|Brigadier|Sergeant|Officer|Operative|operative|"
    r"member|commander|official|Owner|owner|Partner|partner|Shareholder|shareholder|Founder|Assistant|"
    r"Administrator|Superintendent|Editor|Agent|agent|Trustee|Delegate|Deputy|Legislator|Parliamentarian|"
    r"Clerk|Cadre|cadre|Militant|Fighter|fighter|Facilitator|facilitator|Recruiter|recruiter|Courier|courier|"
    r"Ideologue|Ideological|Figure|Politburo|Committee|Council|Cabinet|Parliament|Assembly|Employee|employee|"
    r"Staff|staff|Bureau|Representative|representative|Liaison|Consultant|consultant|Banker|Oligarch|"
    r"Businessman|businessman|Businesswoman|Entrepreneur|Associate|associate|Supporter|supporter|CEO|"
    r"MP|Marshal|Counsellor|Diplomat|Ombudsman|Minster|second-in-command|Chef|manufacturer|Dealer|Governorate)\b",
    re.I,
)
# Organisation affiliations written "HAMAS - Gaza", "Member ETA", "PFLP".
_AFFILIATION = re.compile(r"^(?:[A-Z][A-Z'\-]{1,}(?:\s+[A-Z][A-Z'\-]+)*)(?:\s+-\s+.+)?$")


def parse_remarks(text: str | None, *, person: bool = False) -> Remarks:
    """Recognise every fragment of one remarks text."""
    out = Remarks()
    for fragment in split_remarks(text):
        kind = _parse_fragment(fragment, out, person=person)
        out.kinds[kind] = out.kinds.get(kind, 0) + 1
        if kind == "unparsed":
            out.unparsed.append(fragment)
    return out


def _parse_fragment(fragment: str, out: Remarks, *, person: bool) -> str:
    # "(Linked To: NATIONAL IRANIAN TANKER COMPANY)": a fragment wrapped in parentheses.
    if fragment.startswith("(") and fragment.rstrip(".").endswith(")") and fragment.count("(") == 1:
        inner = fragment.rstrip(".")[1:-1].strip()
        probe = Remarks()
        kind = _parse_fragment(inner, probe, person=person)
        if kind not in ("unparsed", "notes", "affiliation", "position", "country"):
            _parse_fragment(inner, out, person=person)
            return kind
    body = _ALT.sub("", fragment).strip()
    plain = body.rstrip(".").strip() if not body.endswith("'.") else body[:-1]

    if m := _AKA.match(body):
        return _aka(m["kind"], m["name"], out, person=person)
    if m := _LINKED.match(body):
        out.relations.append(Relation("linked_to", m["name"].strip()))
        return "linked_to"
    if m := _DOB.match(plain):
        date = parse_date(m["v"])
        if date is None:
            return "unparsed"
        out.birth_dates.append(date)
        return "dob"
    if m := _POB.match(plain):
        place = m["v"].strip()
        out.birth_places.append(place)
        code = country_code(place.rsplit(",", 1)[-1])
        if code:
            out.add_prop("birthCountry", code)
        return "pob"
    if m := _REGISTRATION_COUNTRY.match(plain):
        code = country_code(m["v"])
        if code is None:
            return "unparsed"
        out.add_prop("country", code)
        _add(out.countries, code)
        return "country"
    if m := _NAT.match(plain):
        return _country_list(m["v"], out.nationalities, out, "nationality")
    if m := _CIT.match(plain):
        return _country_list(m["v"], out.citizenships, out, "citizenship")
    if m := _GENDER.match(plain):
        out.gender = m["v"].lower()
        return "gender"
    if m := _CRYPTO.match(plain):
        out.identifiers.append(Identifier("crypto_wallet", m["rest"], label=m["label"], note=m["cur"].upper()))
        return "crypto_wallet"
    if _SANCTIONS_INFO.match(plain):
        out.add_prop("sanctionsInfo", body.rstrip("."))
        if (lm := _LISTING_DATE.match(plain)) and out.listed_on is None:
            out.listed_on = parse_iso(lm["v"])
        elif plain.lower().startswith("listing date") and out.listed_on is None:
            out.listed_on = parse_iso(plain.split(")", 1)[-1])
        return "sanctions_info"
    for pattern, key, transform in _PROPS:
        if m := pattern.match(plain):
            value = transform(m["v"].strip())
            if value is None:
                if m["v"].strip().lower() in ("none identified", "unknown", "undetermined"):
                    out.add_prop("notes", plain)
                    return key
                return "unparsed"
            out.add_prop(key, value)
            if key in ("pastFlags", "country"):
                _add(out.countries, value)
            return key
    for pattern, kind in _ID_RES:
        if m := pattern.match(plain if kind not in ("website", "email") else body):
            ident = _parse_identifier(kind, m["label"], m["rest"])
            if ident is None:
                return "unparsed"
            out.identifiers.append(ident)
            if ident.country:
                _add(out.countries, ident.country)
            return kind
    if _NOTES.match(plain):
        out.add_prop("notes", plain)
        return "notes"
    if m := _FAMILY.match(plain):
        out.relations.append(Relation("family", m["name"].strip()))
        out.add_prop("notes", plain)
        return "family"
    if m := _FAMILY_POSSESSIVE.match(plain):
        out.relations.append(Relation("family", m["name"].strip()))
        out.add_prop("notes", plain)
        return "family"
    if m := _ETHNICITY.match(plain):
        out.add_prop("ethnicity", m["v"])
        return "ethnicity"
    if m := _BARE_EMAIL.match(plain):
        out.identifiers.append(Identifier("email", m["v"], label="(email)"))
        return "email"
    if m := _BARE_WEBSITE.match(plain):
        out.identifiers.append(Identifier("website", m["v"], label="(website)"))
        return "website"
    if code := country_code(plain):
        _add(out.countries, code)
        return "country"
    if _TITLES.match(plain):
        _add(out.titles, plain)
        return "title"
    if m := _GENERIC_ID.match(plain):
        ident = _parse_identifier("other", m["label"], m["rest"])
        if ident is not None:
            out.identifiers.append(ident)
            if ident.country:
                _add(out.countries, ident.country)
            return "other_id"
    if m := _BARE_DOCUMENT.match(plain):
        ident = _parse_identifier("other", "", m["rest"].replace(",issued", ", issued"))
        if ident is not None:
            out.identifiers.append(ident)
            return "other_id"
    if _POSITION_WORDS.search(plain) or plain.startswith("#") or plain.lower().startswith(("former ", "current ")):
        _add(out.positions, plain)
        return "position"
    if _AFFILIATION.match(plain) and len(plain) <= 80:
        out.add_prop("notes", plain)
        return "affiliation"
    return "unparsed"


def _aka(kind_text: str, name_text: str, out: Remarks, *, person: bool) -> str:
    kind_key = kind_text.lower().replace(".", "")
    name = name_text.strip()
    if name.endswith("."):
        name = name[:-1].rstrip() if name[:-1].rstrip().endswith("'") else name
    quoted = len(name) >= 2 and name[0] == "'" and name[-1] == "'"
    if quoted:
        name = name[1:-1].strip()
    if not name:
        return "unparsed"
    if kind_key in ("aka", "dba"):
        kind = NameKind.WEAK_ALIAS if quoted else NameKind.ALIAS
    elif kind_key == "fka":
        kind = NameKind.PREVIOUS
    else:
        kind = NameKind.NEW
    out.names.append(make_name(name, kind, person=person))
    return {NameKind.WEAK_ALIAS: "weak_alias", NameKind.ALIAS: "alias"}.get(kind, kind.value)


def make_name(full: str, kind: NameKind, *, person: bool) -> Name:
    """A Name with given/family filled from OFAC's "SURNAME, Given" order for persons."""
    full = " ".join(full.split())
    if person and full.count(",") == 1:
        family, given = (p.strip() for p in full.split(","))
        if family and given:
            return Name(full=full, kind=kind, given=given, family=family)
    return Name(full=full, kind=kind)


def _country_list(value: str, target: list[str], out: Remarks, kind: str) -> str:
    code = country_code(value)
    if code is None:
        return "unparsed"
    _add(target, code)
    return kind


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


# ---------------------------------------------------------------- shared by the OFAC CSV and XML parsers

# Legal forms that make an OFAC "entity" row a Company rather than an Organization.
_LEGAL_FORM = re.compile(
    r"(?<![\w.])(?:S\.?\s?A\.?(?:\s+DE\s+C\.?\s?V\.?)?|S\.?\s?A\.?\s?S\.?|S\.?\s?A\.?\s?C\.?|S\.?\s?R\.?\s?L\.?|"
    r"S\.L\.?|S\.?\s?P\.?\s?A\.?|S\.?\s?A\.?\s?R\.?\s?L\.?|LTD|LTDA|LIMITED|LLC|L\.L\.C|LLP|INC|INCORPORATED|"
    r"CORP|CORPORATION|CO|COMPANY|CIA|COMPANIA|GMBH|AG|KG|PLC|P\.L\.C|JSC|OJSC|CJSC|PJSC|OAO|ZAO|OOO|PAO|AO|TOO|"
    r"B\.V|N\.V|BV|NV|A\.S|LDA|PTE|PVT|FZE|FZCO|FZC|FZ-LLC|DMCC|SDN\.?\s?BHD|BHD|K\.K|"
    r"Y\s+CIA|EIRL|SPRL|SNC|SAL|S\.?\s?A\.?\s?L|S\.?\s?DE\s+R\.?\s?L\.?(?:\s+DE\s+C\.?\s?V\.?)?|"
    r"S\.?\s?EN\s+C\.?(?:\s?S\.?)?|S\.?\s?DE\s+R\.?L\.?|HOLDINGS?|TRADING|ENTERPRISES?)(?![\w])\.?",
    re.I,
)
_COMPANY_ID_TYPES = {"registration", "vat", "duns", "lei", "swift_bic"}
_COMPANY_PROPS = {"isinCode", "ticker", "incorporationDate"}


def decide_schema(sdn_type: str | None, name: str, remarks: Remarks) -> str:
    """FtM schema for an OFAC row.

    individual → Person, vessel → Vessel, aircraft → Airplane. An "entity"
    row is a Company when its name carries a legal form (S.A. DE C.V., LTD,
    LLC, GMBH, JSC...) or the remarks give it a company identifier
    (registration, VAT, D-U-N-S, LEI, SWIFT/BIC), a securities code or an
    incorporation date; otherwise an Organization.
    """
    kind = (sdn_type or "").strip().lower()
    if kind == "individual":
        return "Person"
    if kind == "vessel":
        return "Vessel"
    if kind == "aircraft":
        return "Airplane"
    if _LEGAL_FORM.search(name):
        return "Company"
    if any(i.type in _COMPANY_ID_TYPES for i in remarks.identifiers):
        return "Company"
    if any(key in remarks.properties for key in _COMPANY_PROPS):
        return "Company"
    return "Organization"


def apply_remarks(entity: Entity, remarks: Remarks) -> None:
    """Merge what the remarks say into the entity (names, dates, ids, links...)."""
    entity.names.extend(n for n in remarks.names if n not in entity.names)
    entity.birth_dates.extend(d for d in remarks.birth_dates if d not in entity.birth_dates)
    for target, values in (
        (entity.birth_places, remarks.birth_places),
        (entity.nationalities, remarks.nationalities),
        (entity.citizenships, remarks.citizenships),
        (entity.countries, remarks.countries),
        (entity.titles, remarks.titles),
        (entity.positions, remarks.positions),
        (entity.unparsed, remarks.unparsed),
    ):
        target.extend(v for v in values if v not in target)
    entity.gender = entity.gender or remarks.gender
    entity.identifiers.extend(i for i in remarks.identifiers if i not in entity.identifiers)
    entity.relations.extend(remarks.relations)
    entity.listed_on = entity.listed_on or remarks.listed_on
    for key, values in remarks.properties.items():
        have = entity.properties.setdefault(key, [])
        have.extend(v for v in values if v not in have)


def _exact_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _name_key(text: str) -> str:
    return _exact_key(text).rstrip(". ")


def _loose_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold().replace("&", " and ")).split())


class LinkResolver:
    """Finds the listed party a "Linked To: NAME" points at, within one file set.

    Tries the name as written (case and spacing folded, trailing period
    ignored), then with all punctuation ignored ("S.A. DE C.V." = "SA DE CV").
    Primary names win over aliases. A name shared by several parties (OFAC
    lists a North Korean and a Russian "MINISTRY OF STATE SECURITY") goes to the
    one that shares a sanctions programme with the linking party, and is left
    unresolved rather than guessed when that does not single one out.
    """

    def __init__(self, entities: list[Entity]):
        self._programs = {e.id: set(e.programs) for e in entities}
        self._exact: dict[str, dict[int, set[str]]] = {}
        self._dotless: dict[str, dict[int, set[str]]] = {}
        self._loose: dict[str, dict[int, set[str]]] = {}
        for entity in entities:
            for name in entity.all_names():
                rank = 0 if name.kind == NameKind.PRIMARY else (1 if name.strong else 2)
                self._exact.setdefault(_exact_key(name.full), {}).setdefault(rank, set()).add(entity.id)
                self._dotless.setdefault(_name_key(name.full), {}).setdefault(rank, set()).add(entity.id)
                self._loose.setdefault(_loose_key(name.full), {}).setdefault(rank, set()).add(entity.id)

    def resolve(self, name: str, source_id: str | None = None, programs: list[str] | None = None) -> str | None:
        candidates = (
            (self._exact, _exact_key(name)),
            (self._exact, _name_key(name)),
            (self._dotless, _name_key(name)),
            (self._loose, _loose_key(name)),
        )
        for index, key in candidates:
            by_rank = index.get(key)
            if not by_rank:
                continue
            for rank in sorted(by_rank):
                ids = by_rank[rank] - {source_id}
                if len(ids) == 1:
                    return next(iter(ids))
                if len(ids) > 1:
                    shared = {i for i in ids if self._programs.get(i, set()) & set(programs or ())}
                    return next(iter(shared)) if len(shared) == 1 else None
        return None


def resolve_relations(entities: list[Entity], stats: dict[str, int], warnings: list[str]) -> None:
    """Fill `Relation.target_id` for every entity; count and report unresolved links."""
    resolver = LinkResolver(entities)
    unresolved = 0
    resolved = 0
    for entity in entities:
        new: list[Relation] = []
        for rel in entity.relations:
            target_id = rel.target_id or resolver.resolve(rel.target_name, entity.id, entity.programs)
            new.append(Relation(rel.type, _clean_target(rel.target_name), target_id))
            if rel.type == "linked_to":
                if target_id:
                    resolved += 1
                else:
                    unresolved += 1
                    warnings.append(f"{entity.id}: Linked To {rel.target_name!r} matches no listed party")
        entity.relations = new
    stats["links"] = resolved + unresolved
    stats["resolved_links"] = resolved
    stats["unresolved_links"] = unresolved


_ABBREVIATION_END = re.compile(r"(?:\b\w\.\w\.|\b(?:CO|LTD|INC|CORP|CIA|LTDA|S\.A|C\.V|JR|SR|ST)\.)$", re.I)


def _clean_target(name: str) -> str:
    """Drop the sentence period OFAC puts after the last remark, not a legal form's."""
    name = " ".join(name.split())
    if name.endswith(".") and not _ABBREVIATION_END.search(name):
        return name[:-1].rstrip()
    return name
