"""When an article was published: a date line under a text file's title ("2022-07-08", "July 8, 2022",
"Published: Jul 8, 2022 10:00 AM ET"), a masthead line that ends in one ("The Ledger - Friday, October 30, 2026",
"Radio Vantry News | 12 October 2026, 07:30"), or the date a Markdown front matter or an HTML page's metadata gives,
normalised to an ISO day ("2022-07-08") so that the store can tell which articles are the newest.

Dates are read with `dateparser` (a maintained package), strictly: a day, a month and a year must all be there,
so that "The 2020 Kentucky ..." or "Breaking News" is no date.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

_LABEL = re.compile(r"^\s*(?:published|updated|posted|date|dated)\s*(?:on|:)?\s*", re.IGNORECASE)
MAX_DATE_LINE = 60  # characters: a longer line is prose that happens to hold a date
# A masthead: the outlet's name (no digits, at most 40 characters), a separator, then the date (and a time).
_MASTHEAD = re.compile(r"^(?P<outlet>[^\d|–—·•,:-][^\d|–—·•,:]{1,39}?)\s*[|–—·•,-]\s*(?P<when>[^|]{6,45})$")
_SETTINGS = {"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past",
             "RETURN_AS_TIMEZONE_AWARE": False}


@lru_cache(maxsize=4096)
def published_day(value: str) -> str | None:
    """The ISO day `value` names ("Jul 8, 2022 10:00 AM ET" -> "2022-07-08"), None when it is not a full date."""
    value = _LABEL.sub("", value.strip()).strip()
    if not value or len(value) > MAX_DATE_LINE or not re.search(r"\d", value):
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat() if re.match(r"\d{4}-\d\d-\d\d", value) else _parse(value)
    except ValueError:
        return _parse(value)


def masthead_day(line: str) -> str | None:
    """The ISO day of a masthead line: an outlet's name, a separator and a full date ("Fennick Herald, Friday 30
    October 2026" -> "2026-10-30"); None for any other line ("Police said on June 1, 2020 ...": no separator
    after a name)."""
    match = _MASTHEAD.match(line.strip())
    return published_day(match.group("when")) if match else None


def _parse(value: str) -> str | None:
    import dateparser  # ~0.1 s to import: only ingestion reads dates

    parsed: Any = dateparser.parse(value, languages=["en"], settings=_SETTINGS)
    return parsed.date().isoformat() if parsed else None


def as_day(value: object) -> dt.date | None:
    """A stored `date` metadata value as a date (None for a value that is not an ISO day)."""
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
