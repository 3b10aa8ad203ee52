"""Date text as lists write it → FuzzyDate."""

from __future__ import annotations

import pytest

from tamiz.model import DatePrecision
from tamiz.sources.dates import parse_date, parse_iso


@pytest.mark.parametrize(
    ("text", "start", "end", "precision", "circa"),
    [
        ("17 Jul 1966", "1966-07-17", "1966-07-17", DatePrecision.DAY, False),
        ("Jul 1966", "1966-07", "1966-07", DatePrecision.MONTH, False),
        ("1966", "1966", "1966", DatePrecision.YEAR, False),
        ("circa 1966", "1966", "1966", DatePrecision.YEAR, True),
        ("circa 1979-1982", "1979", "1982", DatePrecision.YEAR, True),
        ("1960 to 1962", "1960", "1962", DatePrecision.YEAR, False),
        ("between 1960 and 1962", "1960", "1962", DatePrecision.YEAR, False),
        ("01 Jan 1977 to 31 Dec 1978", "1977-01-01", "1978-12-31", DatePrecision.DAY, False),
        ("1966-07-17", "1966-07-17", "1966-07-17", DatePrecision.DAY, False),
        ("1966-07", "1966-07", "1966-07", DatePrecision.MONTH, False),
        ("17/07/1966", "1966-07-17", "1966-07-17", DatePrecision.DAY, False),
        ("17.07.1966", "1966-07-17", "1966-07-17", DatePrecision.DAY, False),
        ("00/00/1955", "1955", "1955", DatePrecision.YEAR, False),
        ("00/07/1955", "1955-07", "1955-07", DatePrecision.MONTH, False),
        ("12 September 1993", "1993-09-12", "1993-09-12", DatePrecision.DAY, False),
        ("September 12, 1993", "1993-09-12", "1993-09-12", DatePrecision.DAY, False),
        ("1979.", "1979", "1979", DatePrecision.YEAR, False),
    ],
)
def test_parse_date_forms(text, start, end, precision, circa):
    date = parse_date(text)
    assert date is not None, text
    assert (date.start, date.end, date.precision, date.circa) == (start, end, precision, circa)
    assert date.text == text.rstrip(".")


@pytest.mark.parametrize("text", ["", None, "hello", "31 Feb 1966", "1962 to 1960", "13/13/1966", "Foo 1966"])
def test_parse_date_rejects(text):
    assert parse_date(text) is None


def test_month_first_for_us_dates():
    assert parse_iso("04/06/2018", month_first=True) == "2018-04-06"
    assert parse_iso("04/06/2018") == "2018-06-04"
    # a day > 12 in first place cannot be a month: read it as day/month either way
    assert parse_iso("07/17/1966") == "1966-07-17"


def test_circa_widens_years():
    assert list(parse_date("circa 1966").years) == [1965, 1966, 1967]
    assert list(parse_date("1960 to 1962").years) == [1960, 1961, 1962]
