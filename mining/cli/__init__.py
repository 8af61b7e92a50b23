"""The `mlflow-miner` command line. Each subcommand lives with the stage it drives and is
imported only when used, so `--help` stays fast and one broken stage cannot break the others."""

from __future__ import annotations

import importlib

import click

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
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module_name, _, attribute = SUBCOMMANDS[cmd_name][0].partition(":")
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mlflow-miner")
def main() -> None:
    """Mine GitHub for MLflow projects and measure how they make experiments traceable.

    Progress goes to stderr; data goes to stdout or into files.
    """
