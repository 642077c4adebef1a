"""The library's exceptions and the exit codes the command line maps them to."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit statuses of `pa-trade`, documented in the README."""

    OK = 0
    DATA = 1  # the data cannot answer: bad file content, no data for the query, --strict
    USAGE = 2  # a bad option or argument, an unknown country name
    INPUT = 3  # a file or folder that is missing or cannot be read
    NETWORK = 4  # a remote service cannot be reached or refuses
    OUTPUT = 74  # standard output is closed: nothing can be written (EX_IOERR)
    INTERNAL = 70  # a bug in pa-trade: please report it with the --debug traceback
    INTERRUPTED = 130


class PaTradeError(Exception):
    """Base of every error pa-trade reports as one line; `exit_code` says how the CLI exits."""

    exit_code: ExitCode = ExitCode.DATA


class DataError(PaTradeError):
    """A file's content or the loaded data cannot answer the question."""

    exit_code = ExitCode.DATA


class UsageError(PaTradeError):
    """The user asked for something that is not valid."""

    exit_code = ExitCode.USAGE


class InputError(PaTradeError):
    """A path that is missing, unreadable or not a data file."""

    exit_code = ExitCode.INPUT


class UnknownCountry(UsageError):
    """A country name or code that resolves to nothing; carries close matches."""

    def __init__(self, text: str, suggestions: list[str] | None = None, where: str = ""):
        self.text = text
        self.suggestions = suggestions or []
        self.where = where
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}unknown country or area {text!r}{hint}")


class NetworkError(PaTradeError):
    """A remote service cannot be reached, refuses the request or answers nonsense."""

    exit_code = ExitCode.NETWORK
