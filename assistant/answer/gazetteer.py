"""Which names are countries or U.S. states, from ISO 3166 (`pycountry`, a maintained package), so that
"Which country ...?" prefers "Ghana" to "Senegal's laboratory" only when both are countries, without a word list.

Only the kinds the ISO data covers are answered; for any other kind `is_kind` says "unknown" (None).
`country_of` tells one country written two ways ("U.S" / "USA"), which is no disagreement between articles.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from assistant.text import stem, words

COUNTRY = "country"
STATE = "state"
# The question's noun for each kind, stemmed ("countries" -> "country").
KIND_OF_NOUN = {stem("country"): COUNTRY, stem("nation"): COUNTRY, stem("state"): STATE}


def _iso_names(country: object) -> Iterator[str]:
    """The ways ISO 3166 writes a country: its name, common name and official name."""
    for attribute in ("name", "common_name", "official_name"):
        value = getattr(country, attribute, None)
        if value:
            yield value


def _key(name: str) -> str:
    """A name as the gazetteer looks it up: its words, without "the" or a possessive ("the Maldives'" is Maldives)."""
    return " ".join(w for w in words(name) if w != "the").removesuffix("'s")  # `words` writes "’" as "'"


@lru_cache(maxsize=1)
def _names() -> dict[str, frozenset[str]]:
    import pycountry

    countries = set()
    for country in pycountry.countries:
        for value in _iso_names(country):
            countries.add(" ".join(words(value)))
            if "," in value:  # "Korea, Republic of" is also written "Republic of Korea"
                head, _, tail = value.partition(",")
                countries.add(" ".join(words(f"{tail} {head}")))
    states = {" ".join(words(s.name)) for s in pycountry.subdivisions.get(country_code="US") or []}
    return {COUNTRY: frozenset(countries), STATE: frozenset(states)}


def is_kind(kind: str, name: str) -> bool | None:
    """Whether `name` is a known name of that kind (None when the gazetteer does not cover the kind)."""
    known = _names().get(kind)
    if known is None:
        return None
    return _key(name) in known


@lru_cache(maxsize=1)
def _country_codes() -> dict[str, str]:
    """Each way ISO 3166 writes a country (names, and its two- and three-letter codes) -> its three-letter code."""
    import pycountry

    codes: dict[str, str] = {}
    for country in pycountry.countries:
        for value in _iso_names(country):
            codes[" ".join(words(value))] = country.alpha_3
        codes[country.alpha_2.lower()] = codes[country.alpha_3.lower()] = country.alpha_3
    return codes


def country_of(name: str) -> str | None:
    """The country a name writes, as its ISO code ("U.S", "USA" and "United States" are all USA), if it is one."""
    key = _key(name)
    if key and all(len(w) == 1 for w in key.split()):
        key = key.replace(" ", "")  # "U.S." is written "u s" word by word
    return _country_codes().get(key)
