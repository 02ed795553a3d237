"""Which lines of an article file are not its content: "READ MORE" teasers and the headlines under them, feed
footers, share and subscribe lines, newsletter plugs (`NEWSLETTER_LINE`), bylines of an outlet, bare URLs (and one
pasted before the prose), and what a saved news page keeps of its media player, photo gallery and shopping plugs
(`MEDIA_LINE`)."""

from __future__ import annotations

import re

READ_MORE = re.compile(r"^\s*(?:READ MORE|Read more|ALSO READ|Also read|RELATED|Related)\b\s*:?", re.UNICODE)
BOILERPLATE_LINE = re.compile(
    r"^\s*(?:\d+\s+Comments?|via IFTTT|Advertisement|ADVERTISEMENT|Share this article|Sign up for .*|"
    r"Subscribe .*|Click here .*|Follow us on .*|from \S+ https?://\S+|https?://\S+|Image:? .{0,40}|"
    r"Photo:? .{0,40}|Copyright .*|©.*)\s*$"
)
# A saved page's video links and player ("WATCH: Highlights of the final (2:41)", "Video Ad Feedback 01:15 - Source:
# ...", "JUST WATCHED <title> Replay More Videos ... MUST WATCH <title> 01:38": titles of videos, often of other
# stories), photo-gallery captions ("<caption> Hide Caption 3 of 38": a gallery of another story's photos as often
# as this one's) and shopping plugs ("Get the Zando Slipper Socks at Amazon for $13.99"): 115, 12 and 3 of RealTime
# QA's 1,428 articles of 2022 hold the last three. None is the article's reporting. A "Watch:" line that ends as a
# sentence does ("Watch it: The festival runs from Nov. 1-30 on ...") is kept.
MEDIA_LINE = re.compile(
    r"^\s*(?:(?:WATCH|Watch|VIDEO|Video):.{1,150}(?<![.!?\"”])|Video Ad Feedback \d{1,2}:\d{2}\b.*"
    r"|(?:JUST|MUST) WATCH(?:ED)?\b.*|.*\bReplay More Videos\b.*|.*\bHide Caption \d+ of \d+"
    r"|Get the \S.{0,120} for \$\d[\d,.]*(?:[^()]{0,40}\(Save [^)]{1,60}\))?)\s*$"
)
# A newsletter plug: a line that offers to send news to "your inbox" and asks to sign up or subscribe, or names a
# newsletter ("SPORTS NEWSLETTER:Sign up now for daily updates sent to your inbox", "(You can get "5 Things You Need
# to Know Today" delivered to your inbox daily. Sign up here .)"): 111 of RealTime QA's 1,419 articles of its seven
# 2022 development weeks hold one. At most 60 words, so that a paragraph that mentions an inbox stays.
NEWSLETTER_LINE = re.compile(
    r"^(?=.*\b(?:[Ss]ign up|SIGN UP|[Ss]ubscribe|SUBSCRIBE|[Nn]ewsletter|NEWSLETTER)\b)"
    r"(?=.*\b(?:in|to|into) your inbox\b)(?!(?:\S+\s+){60})"
)
_URL = re.compile(r"https?://\S+")
OUTLET_LINE = re.compile(r"^\s*(?P<outlet>[A-Z][\w&.' -]{1,40}?)\s+Report\s*$")
FEED_FOOTER = re.compile(r"^\s*from (?P<outlet>\S+) (?P<url>https?://\S+)\s*$", re.MULTILINE)


def content_regions(text: str, start: int) -> list[tuple[int, int]]:
    """Line ranges of `text` that are article content: teasers, feed footers and bare URLs left out."""
    regions: list[tuple[int, int]] = []
    in_teaser_block = False
    for line in re.finditer(r"[^\n]+", text[start:]):
        line_start, line_end = start + line.start(), start + line.end()
        content = text[line_start:line_end].strip()
        if not content:
            in_teaser_block = False
            continue
        if READ_MORE.match(content):
            # "READ MORE: headline" is one line; a bare "READ MORE" is followed by headline lines.
            in_teaser_block = READ_MORE.sub("", content).strip() == ""
            continue
        if in_teaser_block and looks_like_headline(content):
            continue
        in_teaser_block = False
        if not_content(content) or (not regions and OUTLET_LINE.match(content)):
            continue
        line_start = skip_leading_url(text, line_start, line_end)
        regions.append((line_start, line_end))
    return regions


def not_content(line: str) -> bool:
    """Whether a line is boilerplate wherever it stands: share and subscribe lines, bare URLs, a media player's,
    gallery's or shop's line, a newsletter plug (a text file's lines and an HTML page's blocks alike)."""
    return bool(BOILERPLATE_LINE.match(line) or MEDIA_LINE.match(line) or NEWSLETTER_LINE.match(line))


def skip_leading_url(text: str, start: int, end: int) -> int:
    """Start of the prose on a line that begins with a pasted URL ("https://t.co/x?ref=tfwOn Friday, ...")."""
    match = _URL.match(text, start, end)
    if not match:
        return start
    glued = re.search(r"(?<=[a-z0-9%])[A-Z][a-z]{0,11}$", match.group(0))
    return match.start() + glued.start() if glued else match.end()


def looks_like_headline(line: str) -> bool:
    """Short and not ending as a sentence does: a teaser's headline, or an article's title line."""
    return len(line.split()) <= 16 and not re.search(r"[.!?\"”]$", line)
