"""Publication days: a date line under a text file's title, front matter and page metadata, as ISO days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from assistant.corpus import parse_article
from assistant.corpus.dates import as_day, masthead_day, published_day
from tests.corpus.helpers import sentence_texts


def test_a_full_date_in_common_forms_is_an_iso_day() -> None:
    assert published_day("2022-07-08") == "2022-07-08"
    assert published_day("July 8, 2022") == "2022-07-08"
    assert published_day("Published: Jul 8, 2022 10:00 AM ET") == "2022-07-08"
    assert published_day("Updated 8 July 2022") == "2022-07-08"


def test_prose_titles_and_partial_dates_are_no_date() -> None:
    for line in ("Breaking News", "The 2020 Kentucky teacher of the year was arrested", "July 2022", "2022",
                 "Police said the march on June 1, 2020 was peaceful and that nobody was hurt in the city", ""):
        assert published_day(line) is None, line
    assert as_day("2022-07-08T10:00:00Z") == dt.date(2022, 7, 8) and as_day("soon") is None


def test_a_date_line_under_the_title_is_metadata_not_a_sentence(tmp_path: Path) -> None:
    text = "Ferry strike ends\nJuly 5, 2022\n\nThe union ended its strike. Ferries run again on Monday.\n"
    article = parse_article(str(tmp_path / "a.txt"), text)
    assert article.title == "Ferry strike ends" and article.metadata["date"] == "2022-07-05"
    assert sentence_texts(article) == ["Ferry strike ends", "The union ended its strike.",
                                       "Ferries run again on Monday."]
    late = "Ferry strike ends\n\nThe union ended its strike.\n\nThe talks began on 1 July 2022.\n"  # not a date line
    assert "date" not in parse_article(str(tmp_path / "b.txt"), late).metadata


def test_a_masthead_gives_the_day_a_line_of_prose_does_not() -> None:
    assert masthead_day("The Ledger - Friday, October 30, 2026") == "2026-10-30"
    assert masthead_day("Radio Vantry News | 12 October 2026, 07:30") == "2026-10-12"
    assert masthead_day("Fennick Herald, Friday 30 October 2026") == "2026-10-30"
    for line in ("Police said the march on June 1, 2020 was peaceful", "Storm hits coast - 3 dead, July 8, 2022",
                 "LORVIK, Nov 14 (Halvic Press Agency) - By Ane Drossel", "Gulf Today Report",
                 "By Marit Olsvang, Sports Reporter", "Markets Daily | Friday", ""):
        assert masthead_day(line) is None, line


def test_a_masthead_under_the_title_dates_the_article_and_is_no_sentence(tmp_path: Path) -> None:
    text = ("Wolves win the cup\nLorvik Evening Post | Sunday 15 November 2026\nBy Marit Olsvang\n\n"
            "The Wolves won the final on Saturday.\n")
    article = parse_article(str(tmp_path / "a.txt"), text)
    assert article.title == "Wolves win the cup" and article.metadata["date"] == "2026-11-15"
    assert "Lorvik Evening Post | Sunday 15 November 2026" not in " ".join(sentence_texts(article))
    assert "The Wolves won the final on Saturday." in sentence_texts(article)


def test_front_matter_and_page_dates_are_normalised(tmp_path: Path) -> None:
    md = "---\ntitle: Storm\ndate: January 2, 2024\n---\nWinds reached 120 km/h.\n"
    assert parse_article(str(tmp_path / "a.md"), md).metadata["date"] == "2024-01-02"
    page = ('<html><head><meta property="article:published_time" content="2024-01-02T08:00:00Z">'
            "<title>Storm</title></head><body><p>Winds reached 120 km/h.</p></body></html>")
    assert parse_article(str(tmp_path / "a.html"), page).metadata["date"] == "2024-01-02"
    kept = "---\ntitle: Storm\ndate: last winter\n---\nWinds reached 120 km/h.\n"  # not a day: kept as written
    assert parse_article(str(tmp_path / "b.md"), kept).metadata["date"] == "last winter"
