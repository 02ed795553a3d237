"""A deterministic synthetic news corpus: plausible wire-story sentences from templates, for benchmarks only."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

CITIES = ["Baghdad", "Nairobi", "Lima", "Oslo", "Manila", "Lagos", "Hanoi", "Quito", "Dhaka", "Tunis", "Accra",
          "Riga", "Sofia", "Perth", "Denver", "Osaka", "Porto", "Kigali", "Bogota", "Zagreb", "Muscat", "Recife"]
PEOPLE = ["Amina Diallo", "Jonas Berg", "Priya Raman", "Carlos Mendez", "Li Wei", "Fatima Khan", "Tomas Novak",
          "Grace Mwangi", "Omar Haddad", "Elena Petrova", "Kenji Sato", "Ana Lima", "David Okafor", "Sara Cohen"]
ROLES = ["minister of finance", "police spokesman", "mayor", "chief executive", "health minister",
         "union leader", "central bank governor", "opposition leader", "fire chief", "prime minister"]
ORGS = ["the national railway", "the central bank", "the health ministry", "the port authority", "parliament",
        "the electoral commission", "the water utility", "the football federation", "the weather service",
        "the state oil company", "the teachers' union", "the supreme court"]
EVENTS = [("flood", "flooded"), ("strike", "disrupted"), ("fire", "destroyed"), ("protest", "blocked"),
          ("storm", "damaged"), ("election", "contested"), ("outbreak", "affected"), ("blackout", "hit"),
          ("drone attack", "targeted"), ("derailment", "injured")]
NOUNS = ["homes", "passengers", "workers", "schools", "stations", "families", "guards", "shops", "farms", "flights"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def _sentence(rng: random.Random, city: str, event: tuple[str, str]) -> str:
    person, role, org = rng.choice(PEOPLE), rng.choice(ROLES), rng.choice(ORGS)
    noun, number = rng.choice(NOUNS), rng.randint(2, 4000)
    day, month = rng.choice(DAYS), rng.choice(MONTHS)
    templates = [
        f"{person}, the {role}, said on {day} that {number} {noun} had been {event[1]} by the {event[0]} in {city}.",
        f"Officials from {org} told reporters that the {event[0]} {event[1]} at least {number} {noun} "
        f"across {city} and the surrounding districts.",
        f"\"We are doing everything we can,\" {person} said in a statement released late on {day}, adding that "
        f"{org} would publish a full account by the end of {month}.",
        f"The {event[0]} was the worst to hit {city} since {rng.randint(1950, 2020)}, according to figures "
        f"compiled by {org}.",
        f"Residents said {noun} near the river were {event[1]} first, and that help arrived only after "
        f"{rng.randint(2, 48)} hours.",
        f"Analysts expect the cost of the {event[0]} to reach {rng.randint(2, 900)} million dollars, "
        f"roughly {rng.randint(1, 9)} percent of the city's annual budget.",
        f"{person} rejected criticism from {org} and said the response in {city} had been \"fast and fair\".",
        f"By {day} evening, {number} {noun} were still without power and {rng.randint(2, 90)} roads remained closed.",
    ]
    return rng.choice(templates)


def article(index: int, seed: int = 7) -> str:
    """The text of synthetic article `index`: a headline, then 3-6 paragraphs of 2-4 sentences."""
    rng = random.Random(seed * 1_000_003 + index)
    city, event = rng.choice(CITIES), rng.choice(EVENTS)
    title = f"{event[0].capitalize()} in {city}: {rng.choice(PEOPLE)} promises answers"
    paragraphs = [" ".join(_sentence(rng, city, event) for _ in range(rng.randint(2, 4)))
                  for _ in range(rng.randint(3, 6))]
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def write_corpus(folder: Path, count: int, seed: int = 7) -> list[Path]:
    """Write `count` articles as .txt files under `folder` (kept if already there); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"{index // 1000:03d}" / f"article_{index:06d}.txt"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            path.write_text(article(index, seed), encoding="utf-8")
        paths.append(path)
    return paths


_SYLLABLES = ["ba", "ko", "ri", "tan", "mel", "su", "vor", "de", "li", "gra", "pon", "es", "ty", "mar", "qui",
              "ne", "lo", "sha", "dor", "fi", "zen", "ul", "ca", "bre", "mo", "ist", "ven", "ha", "ro", "pel"]


_FUNCTION_WORDS = """the of and to a in that is was he for it with as his on be at by i this had not are but from or
have an they which one you were her all she there would their we him been has when who will more no if out so said
what up its about into than them can only other new some could time these two may then do first any my now such like
our over man me even most made after also did many before must through back years where much your way well down
should because each just those people how too little state good very make world still own see men work long get
here between both life being under never day same another know while last might us great old year off come since
against go came right used take three""".split()  # noqa: SIM905


def zipf_vocabulary(size: int = 40_000, seed: int = 13) -> list[str]:
    """English function words, then pseudo-words: `size` words in frequency-rank order."""
    rng = random.Random(seed)
    seen: dict[str, None] = dict.fromkeys(_FUNCTION_WORDS)
    while len(seen) < size:
        seen.setdefault("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))), None)
    return list(seen)


def chunk_texts(count: int, seed: int = 11) -> Iterator[tuple[int, str]]:
    """`count` chunk-sized passages (4-6 sentences of 12-24 words) as (article number, text).

    Words follow a Zipf-Mandelbrot law (p ~ 1/(rank + 2.7)) over a 40,000-word vocabulary, as words do
    in English news text, so that keyword search sees realistic posting-list lengths (a small template
    vocabulary would make every term common).
    """
    import numpy as np

    vocabulary = zipf_vocabulary()
    weights = 1.0 / (np.arange(1, len(vocabulary) + 1) + 2.7)
    cumulative = np.cumsum(weights / weights.sum())
    rng = np.random.default_rng(seed)
    for index in range(count):
        sentences = []
        for _ in range(int(rng.integers(4, 7))):
            ranks = np.searchsorted(cumulative, rng.random(int(rng.integers(12, 25))))
            sentence = " ".join(vocabulary[min(int(r), len(vocabulary) - 1)] for r in ranks)
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
        yield index // 5, " ".join(sentences)


def large_questions(count: int, chunks: int, seed: int = 17) -> list[str]:
    """Questions about random passages of `chunk_texts(chunks)`: 3-5 of a passage's words, question-shaped."""
    rng = random.Random(seed)
    wanted = {rng.randrange(min(chunks, 10_000)) for _ in range(count)}
    out = []
    for number, (_, text) in enumerate(chunk_texts(max(wanted, default=-1) + 1)):
        if number in wanted:
            words = dict.fromkeys(w.strip(".").lower() for w in text.split())
            terms = [w for w in words if w not in _FUNCTION_WORDS]
            picked = rng.sample(terms, min(len(terms), rng.randint(3, 5)))
            out.append(f"What happened with the {' '.join(picked)}?")
    rng.shuffle(out)
    return out


def questions(count: int, seed: int = 3) -> list[str]:
    """Questions in the style users ask about such articles."""
    rng = random.Random(seed)
    forms = [
        lambda: f"How many {rng.choice(NOUNS)} were {rng.choice(EVENTS)[1]} in {rng.choice(CITIES)}?",
        lambda: f"What did {rng.choice(PEOPLE)} say about the {rng.choice(EVENTS)[0]}?",
        lambda: f"When was the worst {rng.choice(EVENTS)[0]} in {rng.choice(CITIES)}?",
        lambda: f"How much will the {rng.choice(EVENTS)[0]} in {rng.choice(CITIES)} cost?",
        lambda: f"Who criticised the response of {rng.choice(ORGS)}?",
    ]
    return [rng.choice(forms)() for _ in range(count)]
