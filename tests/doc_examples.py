"""Where the documentation's examples live, and the downloaded files some of them need.

Shared by tests/test_readme.py and tools/refresh_readme.py (standard library only).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# Files an example names as a user has them after downloading them from the address the
# page gives. They are not in the repository: an example naming one runs only where a copy
# of the real file is found beside the project; elsewhere it is skipped.
DOWNLOADS = {
    # DANE, export microdata (EXPO) of January 2023, as unpacked from Expo_2023.zip
    "Enero.csv": SHARED / "realdata" / "hunt1" / "dane-expo-2023" / "2023-01_Enero.csv",
}


def pages() -> list[Path]:
    """README.md and every Markdown page of docs/, in a fixed order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def downloads_named(command: str) -> list[str]:
    """The downloaded files a '$ pa-trade ...' command reads (by their names as given)."""
    words = command.split()
    return [name for name in DOWNLOADS if name in words]
