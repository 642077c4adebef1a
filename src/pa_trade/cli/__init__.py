"""The command line, and only it: the `pa-trade` group, which turns every failure into one
line on stderr with a documented exit code, and one module per command family (balance;
analyses: mirror, trend, matrix; products; flows and country; fetch and cache), with the
options they share in `common`.

Commands parse options, call the library (readers, analysis, fetch), and hand the result to
render. Nothing below imports this package. Only click is imported at start-up; pandas, the
readers and render load when a command runs, so `pa-trade --help` stays instant.
"""

from __future__ import annotations

import os
import signal
import sys

import click

from pa_trade import __version__
from pa_trade.cli.common import CONTEXT, say
from pa_trade.errors import ExitCode, PaTradeError

# stdout closed (`>&-`): nothing can be written; EX_IOERR of sysexits.h (README, exit codes)


class PaTradeGroup(click.Group):
    """A group whose every failure is one line on stderr with a documented exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get("PA_TRADE_DEBUG", "") not in ("", "0")
        if sys.stdout is None:  # started with stdout closed: click would write nothing, say 0
            _fail("standard output is closed: nothing can be written (pa-trade writes its "
                  "results there; redirect it to a file or /dev/null instead)", ExitCode.OUTPUT)
        try:
            # the command line as typed: the cache of results keys on it (cli.results)
            extra.setdefault("obj", {"argv": argv})
            code = super().main(args=argv, prog_name=prog_name or "pa-trade",
                                complete_var=complete_var, standalone_mode=False, **extra)
        except PaTradeError as exc:
            if debug:
                raise
            _fail(str(exc), exc.exit_code)
        except click.exceptions.NoArgsIsHelpError as exc:
            # `pa-trade` or `pa-trade cache` alone asks for the help: give it as --help does
            click.echo(exc.ctx.get_help())
            code = ExitCode.OK
        except click.ClickException as exc:
            if debug:
                raise
            _fail(_with_hint(exc.format_message()),
                  ExitCode.USAGE if exc.exit_code == 2 else exc.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt):
            _fail("interrupted", ExitCode.INTERRUPTED)
        except Exception as exc:  # a bug of ours: still one line unless --debug
            if debug:
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} "
                  f"(run with --debug for the traceback)", ExitCode.INTERNAL)
        sys.exit(code if isinstance(code, int) else ExitCode.OK)


@click.group(cls=PaTradeGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", "-V", prog_name="pa-trade")
@click.option("--debug", is_flag=True, envvar="PA_TRADE_DEBUG",
              help="Show the full traceback when something fails.")
@click.pass_context
def cli(ctx, debug):
    """Trade balances of the Pacific Alliance (Chile, Colombia, Mexico, Peru) from the
    statistics offices' own files: DANE, Mexico's Secretaría de Economía, UN Comtrade.

    \b
    Examples:
      pa-trade balance colombia --year 2022
      pa-trade balance colombia -y 2022 -p mexico --format csv
      pa-trade balance colombia -d expo_2022.csv -d impo_2022.csv --valuation fob
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


from pa_trade.cli import analyses, balance, fetch, flows, products  # noqa: E402, I001

for command in (balance.balance, flows.flows, flows.country, analyses.mirror, analyses.trend,
                analyses.matrix, products.products, fetch.fetch, fetch.cache):
    cli.add_command(command)


# what a character no stream encoding can show becomes (a Windows console or redirect in
# cp1252, a C locale in ASCII): the nearest plain text, else '?'
PLAIN = {"→": ">", "←": "<", "−": "-", "–": "-", "—": "-", "◆": "*", "●": "*", "█": "#",
         "▌": "|", "▏": "|", "│": "|", "─": "-", "·": ".", "…": ".", "×": "x", "’": "'",
         "‘": "'", "“": '"', "”": '"', "≈": "~", "≥": ">", "≤": "<", "›": ">", "↳": ">"}
# one character for one: the columns of a table stay aligned


def _plain_text(error: UnicodeError):
    text = error.object[error.start:error.end]
    return "".join(PLAIN.get(c, "?") for c in text), error.end


def _fit_streams() -> None:
    """Output that a stream cannot encode falls back to plain characters instead of failing
    (exit 70 was the old answer of a Windows redirect to `mirror`'s arrow)."""
    import codecs

    codecs.register_error("pa-trade-plain", _plain_text)
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", "") or "").lower().replace("-", "")
        if stream is not None and hasattr(stream, "reconfigure") and encoding != "utf8":
            try:
                stream.reconfigure(errors="pa-trade-plain")
            except (ValueError, OSError):
                pass


def _with_hint(message: str) -> str:
    """A usage message, with what was probably meant: `balance colombia 2022` is a year
    given without --year."""
    import re

    found = re.search(r"unexpected extra arguments? \((\S+?)(?:\s.*)?\)", message)
    if found and re.fullmatch(r"(19|20)\d{2}(-(19|20)\d{2})?", found.group(1)):
        return f"{message}; did you mean --year {found.group(1)}?"
    return message


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    _fit_streams()
    try:
        cli.main(args=argv, prog_name="pa-trade")
    except SystemExit as done:
        _leave(done.code)


def _leave(code) -> None:
    """End the process with `code` once everything is written.

    After a command that loaded pandas, tearing the interpreter down object by object takes
    tens of milliseconds for nothing: when the output is flushed and no other thread runs
    (files are written and closed by then), the process ends at once. Otherwise, as usual.
    """
    threading = sys.modules.get("threading")
    if ("pandas" in sys.modules and isinstance(code, int) and threading is not None
            and threading.active_count() == 1):
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:  # None: started with the stream closed (`>&-`)
                    stream.flush()
        except (OSError, ValueError):
            sys.exit(code)  # what could not be written is reported the usual way
        os._exit(code)
    sys.exit(code)


def _fail(message: str, code: int) -> None:
    """One line on stderr (when stderr is open), then exit with `code`."""
    message = " ".join(str(message).split())
    say(f"error: {message}")
    sys.exit(int(code))
