"""The `mlflow-miner` command line. Each subcommand lives with the stage it drives and is
imported only when used, so `--help` stays fast and one broken stage cannot break the others.

Every subcommand runs inside `guard.run_guarded`: errors are one line on stderr with an exit code
from `guard.EXIT_CODES`, SIGTERM is handled like Ctrl-C, and the outputs a command claims are
checked before it works and cleaned if it is stopped.
"""

from __future__ import annotations

import copy
import functools
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from mining.cli.guard import ExitCode, claim_output, one_line, run_guarded

# name -> ("module:attribute" of a click command, one-line summary for --help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("mining.cli.scan:scan", "Find MLflow calls in local directories or git checkouts."),
    "crawl": (
        "mining.cli.crawl:crawl",
        "List the repositories of GitHub topics into a pinned dataset.",
    ),
    "clone": ("mining.cli.clone:clone", "Fetch a dataset's repositories at their pinned commits."),
    "study": ("mining.cli.study:study", "Run a whole study from its study file, resumably."),
    "demo": ("mining.cli.study:demo", "Run the whole study offline on the shipped demo corpus."),
    "report": ("mining.cli.report:report", "Write a study's offline HTML report: charts, tables."),
    "export": ("mining.cli.report:export", "Export a study's tables as CSV, Parquet and LaTeX."),
    "validate": (
        "mining.cli.validate:validate",
        "Measure the tool's accuracy on a study: sample, score, agree.",
    ),
}
# Output folders of commands that do not claim them themselves (`guard.claim_output`).
CLAIMED_FOR: dict[str, tuple[str, ...]] = {"scan": ("out_dir",)}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module_name, _, attribute = SUBCOMMANDS[cmd_name][0].partition(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        if cmd_name in CLAIMED_FOR and command.callback is not None:
            command = copy.copy(command)
            command.callback = _claiming(command.callback, CLAIMED_FOR[cmd_name])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)])

    def invoke(self, ctx: click.Context) -> Any:
        return run_guarded(lambda: super(LazyGroup, self).invoke(ctx))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """As click's, but every error is one line (usage errors too) and exits with its code."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            click.echo(f"Error: {one_line(error.format_message())}{hint}", err=True)
            sys.exit(ExitCode.USAGE)
        except click.ClickException as error:
            click.echo(f"Error: {one_line(error.format_message())}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:  # Ctrl-C while click itself was reading the command line
            sys.exit(ExitCode.INTERRUPTED)
        sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _claiming(callback: Any, names: tuple[str, ...]) -> Any:
    @functools.wraps(callback)
    def claimed(**params: Any) -> Any:
        for name in names:
            if params.get(name) is not None:
                claim_output(Path(params[name]))
        return callback(**params)

    return claimed


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mlflow-miner")
def main() -> None:
    """Mine GitHub for MLflow projects and measure how they make experiments traceable.

    Progress goes to stderr; data goes to stdout or into files. Exit codes: 0 done, 1 the run
    failed or some repositories ended error/timeout, 2 a usage mistake, 3 the environment
    (network, API, token, output folder), 130 Ctrl-C, 143 SIGTERM.
    """
