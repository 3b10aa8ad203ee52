"""Date text as sanctions lists write it → `FuzzyDate`.

Lists state dates at whatever precision they know: "17 Jul 1966", "Jul 1966",
"1966", "circa 1966", "1960 to 1962", "between 1960 and 1962", ISO
"1966-07-17", European "17/07/1966" or "17.07.1966", UK "00/00/1955" (day and
month unknown). One function serves every list parser so all of them agree.
"""

from __future__ import annotations

import re
from calendar import monthrange

from tamiz.model import DatePrecision, FuzzyDate

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january", "ene", "enero", "janv", "janvier"),
            ("feb", "february", "febr", "fév", "fev"),
            ("mar", "march", "marzo", "mars"),
            ("apr", "april", "abr", "abril", "avr", "avril"),
            ("may", "mayo", "mai"),
            ("jun", "june", "junio", "juin"),
            ("jul", "july", "julio", "juil", "juillet"),
            ("aug", "august", "ago", "agosto", "aout", "août"),
            ("sep", "sept", "september", "septiembre", "setiembre"),
            ("oct", "october", "octubre", "octobre"),
            ("nov", "november", "noviembre", "novembre"),
            ("dec", "december", "dic", "diciembre", "déc", "decembre", "décembre"),
        ],
        start=1,
    )
    for m in names
}

_CIRCA = re.compile(r"^(?:circa|ca\.?|c\.|approx(?:imately|\.)?|about|around)\s+", re.I)
_RANGE = re.compile(
    r"^(?:between\s+)?(?:(?P<a>.+?)\s+(?:to|and|-|–|until)\s+(?P<b>.+)|(?P<ya>\d{4})\s*[-–/]\s*(?P<yb>\d{4}))$", re.I
)
_DMY_TEXT = re.compile(r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s\-./]+(?P<m>[A-Za-zéû]{3,9})\.?[\s\-./,]+(?P<y>\d{4})$")
_MDY_TEXT = re.compile(r"^(?P<m>[A-Za-zéû]{3,9})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})$")
_MY_TEXT = re.compile(r"^(?P<m>[A-Za-zéû]{3,9})\.?[\s\-./,]+(?P<y>\d{4})$")
_ISO = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?)?(?:T[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?$")
_DMY_NUM = re.compile(r"^(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})$")
_YEAR = re.compile(r"^(?P<y>\d{4})$")


def parse_date(text: str | None, *, month_first: bool = False) -> FuzzyDate | None:
    """Parse one date statement; None when the text holds no recognisable date.

    `month_first` reads "07/17/1966" as US month/day/year (OFAC XML publish
    dates); otherwise numeric dates are day/month/year, falling back to
    month/day when the day/month reading is impossible.
    """
    if not text:
        return None
    raw = " ".join(text.split()).rstrip(" .;,")
    value = raw.strip(" .;,")
    circa = False
    m = _CIRCA.match(value)
    if m:
        circa = True
        value = value[m.end() :]
    point = _point(value, month_first)
    if point is not None:
        start, precision = point
        return FuzzyDate(text=raw, start=start, end=start, precision=precision, circa=circa)
    m = _RANGE.match(value)
    if m:
        a_text, b_text = (m["a"], m["b"]) if m["a"] else (m["ya"], m["yb"])
        a = _point(_CIRCA.sub("", a_text), month_first)
        b = _point(_CIRCA.sub("", b_text), month_first)
        if a and b and a[0] <= b[0]:
            precision = a[1] if _rank(a[1]) <= _rank(b[1]) else b[1]
            return FuzzyDate(text=raw, start=a[0], end=b[0], precision=precision, circa=circa)
    return None


def parse_iso(text: str | None, *, month_first: bool = False) -> str | None:
    """The date as an ISO prefix (start of the stated period), or None."""
    parsed = parse_date(text, month_first=month_first)
    return parsed.start if parsed else None


def _rank(p: DatePrecision) -> int:
    return {DatePrecision.YEAR: 0, DatePrecision.MONTH: 1, DatePrecision.DAY: 2}[p]


def _point(value: str, month_first: bool) -> tuple[str, DatePrecision] | None:
    value = value.strip(" .;,")
    if m := _YEAR.match(value):
        return _build(int(m["y"]), None, None)
    if m := _ISO.match(value):
        return _build(int(m["y"]), _int(m["m"]), _int(m["d"]))
    if m := _DMY_TEXT.match(value):
        month = _MONTHS.get(m["m"].lower())
        return _build(int(m["y"]), month, int(m["d"])) if month else None
    if m := _MDY_TEXT.match(value):
        month = _MONTHS.get(m["m"].lower())
        return _build(int(m["y"]), month, int(m["d"])) if month else None
    if m := _MY_TEXT.match(value):
        month = _MONTHS.get(m["m"].lower())
        return _build(int(m["y"]), month, None) if month else None
    if m := _DMY_NUM.match(value):
        d, mo, y = int(m["d"]), int(m["m"]), int(m["y"])
        if month_first or (mo > 12 and d <= 12):
            d, mo = mo, d
        # "00/00/1955" and "00/07/1955": unknown parts lower the precision.
        if mo == 0:
            return _build(y, None, None)
        return _build(y, mo, d or None)
    return None


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _build(year: int, month: int | None, day: int | None) -> tuple[str, DatePrecision] | None:
    if not 1000 <= year <= 2999:
        return None
    if month is None:
        return f"{year:04d}", DatePrecision.YEAR
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}", DatePrecision.MONTH
    if not 1 <= day <= monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}", DatePrecision.DAY
