"""Raw API answers kept on disk, keyed by request, with the time they were retrieved.

One JSON file per answer under `user_cache_dir()/comtrade`: the server, the URL path, the
query parameters, the retrieval time (UTC) and the answer as the server sent it. The key is a
hash of server, path and sorted parameters; an API key is never part of it, nor of the file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pa_trade.errors import InputError
from pa_trade.fetch import files

FORMAT = 1


@dataclass(frozen=True)
class CachedAnswer:
    """One stored answer: what was asked, when it was retrieved, and what came back."""

    path: Path
    server: str
    url_path: str
    params: dict[str, str]
    retrieved: datetime
    answer: dict | None  # None when only the description was read (listing)
    records: int
    size_bytes: int

    def age(self, now: datetime | None = None) -> timedelta:
        """How long ago the answer was retrieved."""
        return (now or datetime.now(timezone.utc)) - self.retrieved


def public_server(base_url: str) -> str:
    """The server part of a URL without user, password, query or fragment: safe to store."""
    parts = urlsplit(base_url.strip())
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def cache_key(server: str, url_path: str, params: dict[str, str]) -> str:
    """The file name stem of a request's answer: a hash of server, path and sorted params."""
    canonical = json.dumps(
        [public_server(server), url_path, sorted((str(k), str(v)) for k, v in params.items())],
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40]


class AnswerCache:
    """A folder of raw answers. `folder` defaults to `user_cache_dir()/comtrade`."""

    def __init__(self, folder: Path | str | None = None,
                 what: str = "the cache of UN Comtrade answers") -> None:
        if folder is None:
            from pa_trade.paths import user_cache_dir

            folder = user_cache_dir() / "comtrade"
        self.folder = Path(folder)
        self.what = what

    def _file(self, server: str, url_path: str, params: dict[str, str]) -> Path:
        return self.folder / f"{cache_key(server, url_path, params)}.json"

    def get(
        self,
        server: str,
        url_path: str,
        params: dict[str, str],
        max_age: timedelta | None = None,
        now: datetime | None = None,
    ) -> CachedAnswer | None:
        """The stored answer to this request, or None when absent, older than `max_age` or
        unreadable (a damaged file is treated as absent and replaced on the next `put`)."""
        entry = _read(self._file(server, url_path, params), with_answer=True)
        if entry is None:
            return None
        if max_age is not None and entry.age(now) > max_age:
            return None
        return entry

    def put(
        self,
        server: str,
        url_path: str,
        params: dict[str, str],
        answer: dict,
        retrieved: datetime,
        secrets: tuple[str, ...] = (),
    ) -> CachedAnswer:
        """Store an answer; any of `secrets` found in it is blanked out before it is written.

        InputError (one line, exit 3) when the folder cannot be written or the disk is full;
        no partial file stays behind."""
        document = {
            "format": FORMAT,
            "server": public_server(server),
            "url_path": url_path,
            "params": dict(sorted(params.items())),
            "retrieved": retrieved.astimezone(timezone.utc).isoformat(timespec="seconds"),
            "answer": answer,
        }
        text = json.dumps(document, ensure_ascii=False)
        for secret in secrets:
            if secret and secret in text:
                text = text.replace(secret, "[redacted]")
                answer = json.loads(text)["answer"]
        path = self._file(server, url_path, params)
        data = text.encode("utf-8")
        self.check_writable()
        # a temporary file renamed over the answer's: an interrupted write, a full disk or a
        # concurrent fetch never leaves half a file behind
        files.write_atomically(path, data)
        return CachedAnswer(path=path, server=document["server"], url_path=url_path,
                            params=document["params"],
                            retrieved=datetime.fromisoformat(document["retrieved"]),
                            answer=answer, records=answer.get("observations", len(
                                answer.get("data") or [])),
                            size_bytes=len(data))

    def check_writable(self) -> None:
        """InputError (one line, exit 3) unless answers can be stored in the folder, which
        is created if needed."""
        files.ensure_writable_folder(self.folder, self.what)

    def entries(self) -> list[CachedAnswer]:
        """Every readable stored answer (without its records loaded), oldest first."""
        if not self.folder.is_dir():
            return []
        found = [_read(p, with_answer=False) for p in sorted(self.folder.glob("*.json"))]
        return sorted((e for e in found if e is not None), key=lambda e: e.retrieved)

    def clear(self, older_than: timedelta | None = None, now: datetime | None = None
              ) -> tuple[int, int]:
        """Remove stored answers (only those older than `older_than` when given).

        Returns (files removed, bytes freed). Damaged files and leftovers of interrupted
        writes go too, unless `older_than` is given.
        """
        if not self.folder.is_dir():
            return 0, 0
        removed, freed = 0, 0
        try:
            for path in sorted(self.folder.iterdir()):
                if not path.is_file() or path.suffix not in (".json", ".part"):
                    continue
                if older_than is not None:
                    entry = _read(path, with_answer=False)
                    if entry is None or entry.age(now) <= older_than:
                        continue
                size = path.stat().st_size
                path.unlink()
                removed += 1
                freed += size
        except OSError as exc:
            done = f"; removed {removed} before that" if removed else ""
            raise InputError(f"cannot remove the cached answers in {self.folder} "
                             f"({files.reason(exc, self.folder)}){done}") from None
        return removed, freed


def _read(path: Path, with_answer: bool) -> CachedAnswer | None:
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
        retrieved = datetime.fromisoformat(document["retrieved"])
        answer = document["answer"]
        # a Comtrade answer holds its records; an IMF one its SDMX-CSV and their count
        records = answer["observations"] if "observations" in answer else len(
            answer.get("data") or [])
        return CachedAnswer(
            path=path,
            server=str(document["server"]),
            url_path=str(document["url_path"]),
            params={str(k): str(v) for k, v in document["params"].items()},
            retrieved=retrieved,
            answer=answer if with_answer else None,
            records=records,
            size_bytes=len(text.encode("utf-8")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
