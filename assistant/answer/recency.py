"""Time: which articles tell of "now". The folder's newest article is "now". A question that places its event in
the present ("this week") is answered only from articles published at most `RECENT_DAYS` before it (`not_before`,
applied by retrieval); one that names no time prefers the newest news: the sentences of articles a season older
(`STALE_DAYS`) are marked (`mark_stale`) and left out whenever a newer article's sentence is about the question
(`newest_only`). A question that names a year reads every article, but a sentence that names no year tells of
its article's ("won on Saturday", "a record for the final") or of one relative to it ("last year's final"), and
answers only when that is the asked year (`date_reports`, `question.reported_in_another_year`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from assistant.answer.evidence import Evidence
from assistant.answer.lexicon import RECENT_DAYS, STALE_DAYS
from assistant.answer.question import Question
from assistant.text import YEAR


def not_before(q: Question, newest: Callable[[], dt.date | None]) -> dt.date | None:
    """For a question about "this week": the first day of the newest news (the store's `newest` article's day
    less `RECENT_DAYS`). An article from years before does not tell what happened this week."""
    day = newest() if q.recent else None
    return day - dt.timedelta(days=RECENT_DAYS) if day else None


def mark_stale(q: Question, pool: list[Evidence], newest: Callable[[], dt.date | None],
               dates: Callable[[Iterable[str]], dict[str, dt.date]] | None) -> list[Evidence]:
    """For a question that places its event in no time (no "this week", no year): the sentences of articles
    published more than `STALE_DAYS` before the store's newest one marked `Evidence.stale` (undated ones are not)."""
    if q.recent or YEAR.search(q.text) or not pool or dates is None:  # a named year: every year's articles
        return pool
    day = newest()
    if day is None:
        return pool
    cut, days = day - dt.timedelta(days=STALE_DAYS), dates({e.article_id for e in pool})
    return [replace(e, stale=True) if days.get(e.article_id, cut) < cut else e for e in pool]


def date_reports(q: Question, pool: list[Evidence],
                 dates: Callable[[Iterable[str]], dict[str, dt.date]] | None) -> list[Evidence]:
    """For a question that names a year ("Who won the cup in 2022?"): each sentence with its article's day
    (`Evidence.published`), which dates what a sentence without a year tells of ("won on Saturday",
    `question.fits`). Undated articles stay undated."""
    if dates is None or not pool or not any(c.kind == "year" for c in q.constraints):
        return pool
    days = dates({e.article_id for e in pool})
    return [replace(e, published=days[e.article_id]) if e.article_id in days else e for e in pool]


def newest_only(fitting: Sequence[Evidence], relevant: Sequence[Evidence]
                ) -> tuple[list[Evidence], list[Evidence], bool]:
    """`fitting` and `relevant` without the stale sentences when a newer one is relevant, and whether it was: the
    months-older reports then tell of an earlier event or state, neither an answer nor a disagreement ("the 2019
    strike ended when Norcliff Lines agreed ..." beside 2022's report of Velmar Ferries)."""
    newer = any(e.stale for e in fitting) and any(not e.stale for e in relevant)
    if not newer:
        return list(fitting), list(relevant), False
    return [e for e in fitting if not e.stale], [e for e in relevant if not e.stale], True
