"""Six short fictional flood reports from cities whose names carry diacritics (or not), for the tests of names
typed with and without them: each tells how many trams were moved from a flooded depot, so that only the city's
name tells the reports apart."""

from __future__ import annotations

from pathlib import Path

FLOOD_REPORTS = {
    "zurich.txt": "Flooding in Zürich\n\n"
                  "The Limmat burst its banks in Zürich on Tuesday and flooded the Oerlikon tram depot. "
                  "Crews moved 12 trams from the flooded depot before the water reached the workshop, "
                  "the transport operator said. Services resumed on Thursday.\n",
    "graz.txt": "Flooding in Graz\n\n"
                "Heavy rain flooded the tram depot in Graz overnight. Workers moved 9 trams from the flooded depot "
                "to a siding near the station, and engineer Lena Al-Hakim's team pumped out the pits by noon.\n",
    "lyon.txt": "Flooding in Lyon\n\n"
                "The Saône rose quickly in Lyon and water entered the tram depot at Gerland. The operator moved "
                "17 trams from the flooded depot, a spokeswoman said, and two lines ran a reduced service.\n",
    "gdansk.txt": "Flooding in Gdańsk\n\n"
                  "A storm surge flooded the tram depot in Gdańsk on Monday. Drivers moved 21 trams from the "
                  "flooded depot to the shipyard loop, the city transport company said.\n",
    "krakow.txt": "Flooding in Kraków\n\n"
                  "The Vistula flooded the Nowa Huta tram depot in Kraków on Wednesday night. Crews moved 34 "
                  "trams from the flooded depot to higher ground, the city's transport company said.\n",
    "malmo.txt": "Flooding in Malmö\n\n"
                 "A cloudburst flooded the new tram depot in Malmö on Friday. Staff moved 7 trams from the flooded "
                 "depot before the power was cut, the regional operator said.\n",
}


def write_flood_reports(folder: Path) -> Path:
    """The six reports as files in `folder` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FLOOD_REPORTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
