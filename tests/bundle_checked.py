"""``smartstart check`` run once on a bundle, with what ``check_bundle`` found in that run (a
test helper: no tests here).

A check of the demo's bundle takes seconds; a test that asserts both the findings of
``check_bundle`` and the command's exit code gets both from one check: the command is run with
``check_bundle`` watched, which also shows that the exit code follows the findings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from typer.testing import CliRunner

import smartstart.bundle as bundle_api
from smartstart.bundle import check_bundle
from smartstart.cli import app


@dataclass(frozen=True)
class Checked:
    problems: list  # check_bundle's problems
    tables: int  # and the number of tables it checked
    code: int  # the exit code of `smartstart check`
    output: str  # and what it printed

    @property
    def kinds(self) -> set[tuple[str, str]]:
        return {(p.where, p.kind) for p in self.problems}


def checked(root: Path) -> Checked:
    seen: list[tuple[Path, tuple[list, int]]] = []

    def watched(path, *args, **kwargs):
        found = check_bundle(path, *args, **kwargs)
        seen.append((Path(path), found))
        return found

    with mock.patch.object(bundle_api, "check_bundle", watched):
        result = CliRunner().invoke(app, ["check", str(root)])
    assert [path for path, _ in seen] == [Path(root)], result.output  # this bundle, once
    problems, tables = seen[0][1]
    return Checked(problems, tables, result.exit_code, result.output)
