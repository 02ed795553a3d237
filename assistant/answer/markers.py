"""The model's draft as text: its sentences, and the [n] markers by which it cites its numbered sources.

The model may write markers in many shapes ("[1][3]", "[1, 2]", "(Source 2)", "[2-4]") or none;
they are parsed here and only then checked (`support`).
"""

from __future__ import annotations

import re

from assistant.answer.evidence import AnswerSentence
from assistant.text import sentence_spans

_MARKER = re.compile(
    r"\s*(?:\[(?:source\s*)?(\d+(?:\s*[,;\-–]\s*\d+)*)\]|\((?:source\s*)?(\d+(?:\s*,\s*\d+)*)\))", re.IGNORECASE
)


def parse_markers(sentence: str) -> tuple[str, list[int]]:
    """Split "Seven guards were hurt [1][3]." into ("Seven guards were hurt.", [1, 3])."""
    cited: list[int] = []
    for match in _MARKER.finditer(sentence):
        body = match.group(1) or match.group(2) or ""
        for part in re.split(r"\s*[,;]\s*", body):
            if re.search(r"[-–]", part):
                low, high = (int(x) for x in re.split(r"\s*[-–]\s*", part)[:2])
                cited.extend(range(low, min(high, low + 20) + 1))
            elif part.strip().isdigit():
                cited.append(int(part))
    text = _MARKER.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text).strip()
    return text, list(dict.fromkeys(cited))


def split_draft(draft: str) -> list[str]:
    """The draft's sentences, markers kept, with chat noise such as "Answer:" removed."""
    cleaned = re.sub(r"^\s*(?:answer|response|a)\s*:\s*", "", draft.strip(), flags=re.IGNORECASE)
    # Small models open with "The sources are:" or "The source said that": noise, not a claim.
    cleaned = re.sub(r"^(?:the\s+)?(?:sources?|articles?)\s+(?:are|is|says?|said|states?|stated)(?:\s+that)?\s*:?\s*",
                     "", cleaned, flags=re.IGNORECASE)
    cleaned = cleaned[:1].upper() + cleaned[1:]
    cleaned = re.sub(r"[*_`#]+", "", cleaned)
    # A marker after the full stop belongs to the sentence before it: "... injured. [1] Other ..."
    cleaned = re.sub(r"([.!?])((?:\s*\[[^\]]{1,12}\])+)", r"\2\1", cleaned)
    out: list[str] = []
    for span in sentence_spans(cleaned):
        sentence = cleaned[span.start : span.end].strip()
        if sentence and sentence not in out:
            out.append(sentence)
    return out


def draft_is_complete(text: str, sentences: int) -> bool:
    """Enough draft: as many sentences as an answer keeps, or a blank line after a first sentence."""
    ends = len(re.findall(r"[.!?][\"'”’)\]]*(?:\s*\[\d+\])*\s", text))
    return ends >= sentences or (ends >= 1 and "\n\n" in text.strip())


def render_sentence(sentence: AnswerSentence) -> str:
    """An answer sentence as shown: its text with its "[n]" markers before the full stop, or " [unsupported]"."""
    if "[" in sentence.text and sentence.text.startswith("The articles differ"):
        return sentence.text
    markers = "".join(f"[{n}]" for n in sentence.citations) if sentence.citations else " [unsupported]"
    body = sentence.text.rstrip()
    end = ""
    if body and body[-1] in ".!?":
        body, end = body[:-1], body[-1]
    return f"{body} {markers}{end}".replace("  ", " ") if sentence.citations else f"{body}{end}{markers}"
