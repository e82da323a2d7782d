"""docs/stappenplan.md cannot go stale: its data request is what the catalog and the factor
library generate now, every `smartstart ...` command it quotes parses against the real CLI, and
its example pilot file validates."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import typer
import yaml
from typer.testing import CliRunner

from smartstart._data_request import (
    BEGIN,
    END,
    READABLE,
    current_block,
    readable_pattern,
    request_markdown,
    splice,
)
from smartstart.cli import app
from smartstart.demo import example_pilots
from smartstart.features import library
from smartstart.linking._db import CORE
from smartstart.pilot import load_pilot
from smartstart.sources._catalog import ColumnSpec, load_catalog

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "stappenplan.md"
runner = CliRunner()
#: what the guide must show a command for: every step from the request to the report
STEPS = {"request", "ingest", "layout", "run", "check", "report", "demo"}


def _doc() -> str:
    return DOC.read_text("utf-8")


def _section(block: str, title_start: str) -> str:
    """The part of the block under the ``###`` heading that starts with ``title_start``."""
    parts = re.split(r"^### ", block, flags=re.MULTILINE)
    return next(p for p in parts if p.startswith(title_start))


# --- the generated data request -------------------------------------------------------------

def test_the_guide_holds_the_request_the_catalog_generates_now():
    assert current_block(_doc()) == request_markdown(), (
        "docs/stappenplan.md is stale: run `smartstart request --write docs/stappenplan.md`")


def test_a_changed_catalog_makes_the_block_stale():
    catalog = load_catalog()
    tables = dict(catalog.tables)
    inpa = tables["INHATAB"]
    extra = ColumnSpec(name="INHNIEUWEKOLOM", type="int")
    tables["INHATAB"] = inpa.model_copy(update={"columns": {**inpa.columns,
                                                            extra.name: extra}})
    changed = request_markdown(catalog.model_copy(update={"tables": tables}))
    assert "`INHNIEUWEKOLOM`" in changed
    assert changed != current_block(_doc())


def test_every_table_and_column_of_the_catalog_is_in_the_block():
    block = current_block(_doc())
    for name, table in load_catalog().tables.items():
        entry = block.split(f"- **{name}**", 1)[1].split("\n- **", 1)[0]
        for column in table.columns:
            assert f"`{column}`" in entry, (name, column)
        optional = [c for c, spec in table.columns.items() if spec.optional]
        for column in optional:
            assert "Mogen ontbreken:" in entry and f"`{column}`" in entry.split(
                "Mogen ontbreken:", 1)[1].split("\n", 1)[0], (name, column)


def test_tables_are_grouped_by_what_reads_them():
    block, lib = current_block(_doc()), library()
    read = {t for f in lib.factors.values() for t in f.sources}
    read |= {t for o in lib.outcomes.values() for t in o.sources} | {"INSCHRWPOTAB"}
    core = _section(block, "Altijd nodig")
    needed = _section(block, "Nodig voor kenmerken")
    unused = _section(block, "Nu door geen")
    for name in load_catalog().tables:
        group = core if name in CORE else needed if name in read else unused
        assert f"- **{name}**" in group, name
    assert "- **INPATAB**" in unused  # nothing reads the personal income table today


def test_every_outcome_names_its_tables_and_each_table_its_factors():
    block, lib = current_block(_doc()), library()
    for name, outcome in lib.outcomes.items():
        row = next(line for line in block.splitlines() if f"| `{name}` |" in line)
        assert row.rstrip(" |").endswith(", ".join(outcome.sources)), name
    for name, factor in lib.factors.items():
        for table in factor.sources:
            if table in load_catalog().tables:
                entry = block.split(f"- **{table}**", 1)[1].split("\n- **", 1)[0]
                assert f"{factor.nl} `{name}`" in entry, (table, name)


@pytest.mark.parametrize("table", sorted(load_catalog().tables))
def test_each_readable_file_name_is_recognised_as_its_table(table):
    spec = load_catalog().tables[table]
    example = {"<jaar>": "2021", "<n>": "3", "[<2 cijfers>]": "03", "<6 cijfers>": "120619"}
    for pattern in spec.patterns:
        name = readable_pattern(pattern)
        assert name != pattern, f"{table}: {pattern} has no readable form"
        for words, value in example.items():
            name = name.replace(words, value)
        assert spec.match(name) == (2021, 3), (table, pattern, name)


def test_a_pattern_without_a_readable_form_is_shown_as_it_is():
    assert readable_pattern(r"^ABC(?P<year>\d{4})(X|Y)V(?P<version>\d+)$").startswith("^ABC")
    assert {words for _, words in READABLE} >= {"<jaar>", "<n>"}


def test_splice_changes_only_the_block_and_refuses_without_markers():
    text = f"voor\n{BEGIN}\noud\n{END}\nna\n"
    assert splice(text, "nieuw") == f"voor\n{BEGIN}\nnieuw\n{END}\nna\n"
    for broken in ("geen markers", f"{END}\n{BEGIN}", f"{BEGIN}\n{BEGIN}\n{END}"):
        with pytest.raises(ValueError):
            splice(broken, "nieuw")


def test_request_write_updates_a_stale_copy_and_then_leaves_it(tmp_path):
    copy = tmp_path / "stappenplan.md"
    copy.write_text(splice(_doc(), "verouderd"), "utf-8")
    result = runner.invoke(app, ["request", "--write", str(copy)])
    assert result.exit_code == 0, result.output
    assert copy.read_text("utf-8") == _doc()
    assert "al actueel" in runner.invoke(app, ["request", "--write", str(copy)]).output
    (tmp_path / "leeg.md").write_text("geen markers", "utf-8")
    assert runner.invoke(app, ["request", "--write", str(tmp_path / "leeg.md")]).exit_code == 1
    printed = runner.invoke(app, ["request"])
    assert printed.exit_code == 0 and printed.output.strip() == request_markdown()


# --- the commands the guide quotes ----------------------------------------------------------

def _fenced(text: str) -> tuple[dict[str, list[str]], str]:
    """The fenced code blocks by language ("" without one) and the text outside them."""
    blocks: dict[str, list[str]] = {}
    prose, language, lines = [], None, []
    for line in text.splitlines():
        if line.startswith("```") and language is None:
            language, lines = line[3:].strip(), []
        elif line.startswith("```"):
            blocks.setdefault(language, []).append("\n".join(lines) + "\n")
            language = None
        elif language is None:
            prose.append(line)
        else:
            lines.append(line)
    assert language is None, "a code block is not closed"
    return blocks, "\n".join(prose)


def _commands(text: str) -> tuple[list[str], list[str]]:
    """(full command lines from shell code blocks, commands quoted inline in the prose)."""
    blocks, prose = _fenced(text)
    shell = [b for lang in ("bash", "sh", "console", "") for b in blocks.get(lang, [])]
    lines = [line.strip().removeprefix("$ ").split(" #")[0]
             for block in shell for line in block.replace("\\\n", " ").splitlines()]
    full = [re.split(r"\s(?:[|>;]|&&)\s?", line)[0].strip() for line in lines
            if line.startswith("smartstart ")]
    inline = re.findall(r"`(smartstart [^`]+)`", prose)
    return full, inline


try:  # newer typer (0.2x) carries its own copy of click; the commands are of its classes
    from typer._click import exceptions as CLICK_ERRORS
except ImportError:
    CLICK_ERRORS = click.exceptions


def _resolve(line: str) -> tuple[click.Command, list[str], list[str]]:
    """The click command a command line names, the command path and the remaining arguments."""
    words = shlex.split(line)
    assert words[0] == "smartstart", line
    command: click.Command = typer.main.get_command(app)
    path, rest = [], words[1:]
    while getattr(command, "commands", None) is not None:  # a group (of either click)
        if not rest or rest[0] not in command.commands:
            raise CLICK_ERRORS.UsageError(f"{line!r}: no such command {rest[:1]}")
        path.append(rest[0])
        command, rest = command.commands[rest[0]], rest[1:]
    return command, path, rest


def check_full(line: str) -> list[str]:
    """Parse a whole command line as the CLI would (options, values, arguments); raises a
    click error when it would not run. Returns the command path."""
    command, path, rest = _resolve(line)
    command.make_context(" ".join(["smartstart", *path]), list(rest))
    return path


def check_inline(line: str) -> list[str]:
    """A command named in the prose: the command exists and every option it names is one of
    its options (arguments may be left out)."""
    command, path, rest = _resolve(line)
    known = {opt for param in command.params for opt in param.opts + param.secondary_opts}
    unknown = [w.split("=")[0] for w in rest if w.startswith("-") and w.split("=")[0] not in known]
    if unknown:
        raise CLICK_ERRORS.NoSuchOption(unknown[0])
    return path


def test_the_guide_quotes_a_command_for_every_step():
    full, inline = _commands(_doc())
    assert len(full) >= 10 and len(inline) >= 4
    assert {check_full(line)[0] for line in full} >= STEPS


def test_every_command_in_a_code_block_parses_against_the_cli():
    full, _ = _commands(_doc())
    for line in full:
        check_full(line)


def test_every_command_in_the_text_names_real_commands_and_options():
    _, inline = _commands(_doc())
    for line in inline:
        check_inline(line)


def test_every_demo_pilot_the_guide_names_is_an_example_pilot():
    full, inline = _commands(_doc())
    named = [m for line in [*full, *inline] for m in re.findall(r"--pilot[ =](\S+)", line)]
    assert named
    assert set(named) <= set(example_pilots())


def test_help_works_for_every_command_the_guide_uses():
    full, inline = _commands(_doc())
    paths = {tuple(check_inline(line)) for line in [*full, *inline]}
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)


@pytest.mark.parametrize("line", [
    "smartstart ingest cbs --bogus",            # an option that does not exist
    "smartstart inlezen cbs --check",           # a command that does not exist
    "smartstart report",                        # a required argument left out
    "smartstart ingest cbs --chunk-rows veel",  # a value of the wrong type
    "smartstart scan serveer",                  # a subcommand that does not exist
])
def test_the_command_check_rejects_what_would_not_run(line):
    with pytest.raises(CLICK_ERRORS.ClickException):
        check_full(line)


def test_the_inline_check_rejects_an_unknown_option():
    with pytest.raises(CLICK_ERRORS.ClickException):
        check_inline("smartstart run --lang en")
    assert check_inline("smartstart report --lang en") == ["report"]


def test_commands_are_found_in_blocks_and_text():
    text = ("Doe `smartstart check BUNDEL` nu.\n```bash\nsmartstart run p.yaml  # uitleg\n"
            "smartstart request > a.md\necho klaar\n```\n")
    assert _commands(text) == (["smartstart run p.yaml", "smartstart request"],
                               ["smartstart check BUNDEL"])


# --- the example pilot file and the link from the README -------------------------------------

def test_the_example_pilot_file_validates(tmp_path):
    examples = _fenced(_doc())[0]["yaml"]
    assert len(examples) == 1
    (tmp_path / "pilot.yaml").write_text(examples[0], "utf-8")
    pilot = load_pilot(tmp_path / "pilot.yaml")
    assert pilot.study.outcome.name in library().outcomes
    assert set(pilot.study.analyses) <= {"profile", "risk", "typology", "areas", "effect"}
    assert yaml.safe_load(examples[0])["paths"]["store"] == "opslag"


def _slug(heading: str) -> str:
    """The anchor a Markdown viewer (GitHub, mkdocs) gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_within_the_guide_leads_to_a_heading():
    _, prose = _fenced(_doc())
    headings = {_slug(h) for h in re.findall(r"^#+ (.+)$", prose, flags=re.M)}
    links = re.findall(r"\]\(#([^)]+)\)", prose)
    assert len(links) >= 9
    assert set(links) <= headings, set(links) - headings


def test_the_readme_links_the_guide():
    assert "docs/stappenplan.md" in (ROOT / "README.md").read_text("utf-8")
