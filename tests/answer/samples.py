"""Hand-built evidence shared by the verifier and conflict tests: four reports of the guards hurt in the
attack, which disagree on how many, and a statement by Ned Price."""

from __future__ import annotations

from assistant.answer import Evidence

GUARDS_7 = Evidence(
    "a.txt",
    "A",
    "a",
    10,
    90,
    "Two Iraqi officials told the media that seven of Al Kadhimi's security guards were injured.",
)
GUARDS_7B = Evidence(
    "d.txt",
    "D",
    "d",
    5,
    60,
    "Two Iraqi officials have informed that 7 of Al-Kadhimi's security guards were injured in the attack.",
)
GUARDS_SEVERAL = Evidence(
    "b.txt", "B", "b", 0, 80, "However, several members of Kadhimi's personal protection team were injured."
)
GUARDS_FEW = Evidence(
    "c.txt", "C", "c", 0, 70, "A booby-trapped drone targeted that location, wounding a few of his residence guards."
)
PRICE = Evidence("a.txt", "A", "a", 100, 160, '"We strongly condemn it," spokesman Ned Price said in a statement.')
POOL = [GUARDS_7, GUARDS_SEVERAL, GUARDS_FEW, PRICE, GUARDS_7B]
