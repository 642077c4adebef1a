"""The cost of decompression alone: stream every member of the ZIP archives given through
Python's zipfile (zlib) and throw the bytes away. What reading DANE's ZIPs adds, at least,
to reading the same CSVs unpacked.

    python bench/reference_unzip.py expo.zip impo.zip
"""

from __future__ import annotations

import json
import sys
import zipfile

BLOCK = 4 << 20


def main() -> None:
    total = 0
    for path in sys.argv[1:]:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    while block := member.read(BLOCK):
                        total += len(block)
    print(json.dumps({"bytes_decompressed": total}))


if __name__ == "__main__":
    main()
