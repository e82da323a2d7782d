"""Reading and verifying a bundle: what reports and the web app are allowed to see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartstart._usage import UsageError
from smartstart.bundle._write import CHECKSUMS, FILE_KINDS, MANIFEST, declared_path, sha256


@dataclass(frozen=True)
class BundleProblem:
    """One thing wrong with a bundle: which file or output, what (in words), and its kind.

    Kinds of file problems: ``undeclared`` (a file the manifest does not declare), ``missing``
    (declared, not there), ``hash`` (content differs from the manifest's sha256), ``declaration``
    (a declaration of an unknown kind, in the wrong place or for an output not in the
    manifest), ``checksums`` (``checksums.sha256`` disagrees: it is a convenience, never the
    authority), ``not_a_bundle`` and ``unreadable``. ``check_bundle`` adds the kinds of content
    problems (see there).
    """

    where: str
    problem: str
    kind: str = "other"


def verify_files(root: Path) -> list[BundleProblem]:
    """Every file in the bundle is declared in the manifest with its sha256, and nothing else
    is there; ``checksums.sha256`` agrees. At most one problem per file."""
    root = Path(root)
    try:
        manifest = json.loads((root / MANIFEST).read_text("utf-8"))
    except FileNotFoundError:
        return [BundleProblem(MANIFEST, "missing: this is not a bundle", "not_a_bundle")]
    except (OSError, ValueError) as error:
        return [BundleProblem(MANIFEST, f"unreadable: {error}", "unreadable")]
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return [BundleProblem(MANIFEST, "declares no files (a bundle older than version 2, or "
                              "edited): nothing in it can be trusted", "undeclared")]
    outputs = {o.get("name"): o.get("kind") for o in manifest.get("outputs", [])
               if isinstance(o, dict)}
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    present -= {MANIFEST, CHECKSUMS}
    found: dict[str, BundleProblem] = {}

    def note(where: str, problem: str, kind: str) -> None:
        found.setdefault(where, BundleProblem(where, problem, kind))

    declared: dict[str, str] = {}
    for entry in manifest["files"]:
        entry = entry if isinstance(entry, dict) else {}
        path, kind, output = entry.get("path"), entry.get("kind"), entry.get("output")
        where = str(path)
        if kind not in FILE_KINDS:
            note(where, f"declared with kind {kind!r}, not a kind a bundle holds", "declaration")
        elif path != declared_path(kind, output):
            note(where, f"declared as {kind} of {output!r}, which lies at "
                 f"{declared_path(kind, output)}", "declaration")
        elif output is not None and output not in outputs:
            note(where, f"declared for output {output!r}, which the manifest does not list",
                 "declaration")
        elif output is not None and _family(kind) != _family(outputs[output]):
            note(where, f"declared as {kind} of {output!r}, an output of kind "
                 f"{outputs[output]!r}", "declaration")
        elif path in declared:
            note(where, "declared twice", "declaration")
        declared[where] = str(entry.get("sha256"))
    for path in sorted(set(declared) - present):
        note(path, "declared in the manifest but missing", "missing")
    for path in sorted(present - set(declared)):
        note(path, "not declared in the manifest: added after the bundle was written",
             "undeclared")
    for path in sorted(present & set(declared)):
        if path not in found and sha256(root / path) != declared[path]:
            note(path, "checksum differs: changed after the bundle was written", "hash")
    listing = root / CHECKSUMS
    if listing.exists():
        for line in listing.read_text("utf-8").splitlines():
            digest, _, path = line.partition("  ")
            if path == MANIFEST:
                if digest != sha256(root / MANIFEST):
                    note(path, "checksums.sha256 disagrees with the manifest", "checksums")
            elif path not in declared:
                note(path, "listed in checksums.sha256 but not declared in the manifest",
                     "undeclared")
            elif digest != declared[path]:
                note(path, "checksums.sha256 disagrees with the manifest", "checksums")
    return sorted(found.values(), key=lambda p: p.where)


def _family(kind: object) -> str:
    """text, chart, map or table: what a file's kind or an output's kind is checked as."""
    kind = str(kind)
    return ("text" if kind == "text" else "chart" if kind.startswith("chart")
            else "map" if kind.startswith("map") else "table")


@dataclass(frozen=True)
class Bundle:
    root: Path
    manifest: dict
    log: dict

    @property
    def outputs(self) -> list[dict]:
        return self.manifest["outputs"]

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.root / "tables" / f"{name}.parquet")

    def text(self, name: str) -> str:
        return (self.root / "texts" / f"{name}.md").read_text("utf-8")

    def verdict(self, name: str) -> dict:
        return next(o for o in self.log["outputs"] if o["name"] == name)

    @property
    def variables(self) -> pd.DataFrame:
        return pd.read_csv(self.root / "variables.csv", index_col="variable")

    def labels(self) -> pd.DataFrame:
        """``labels.csv``: the words of the variables (empty for a bundle without it)."""
        path = self.root / "labels.csv"
        if not path.exists():
            return pd.DataFrame(columns=["variable", "level", "label_nl", "label_en", "type",
                                         "role", "period"])
        return pd.read_csv(path, dtype=str, keep_default_na=False)


def shown(bundle: Bundle, name: str, lang: str = "nl", said: int | None = None):
    """The table ``name`` as the bundle's exports in ``lang`` show it (``ShownTable``); with
    ``said``, its codes in the words of that version (``shown_table``)."""
    from smartstart.bundle._exports import shown_table

    return shown_table(bundle.root, bundle.manifest, bundle.log, bundle.labels(), name, lang,
                       said)


def read_bundle(root: Path, *, verify: bool = True) -> Bundle:
    """Open a bundle; by default refuse one whose files do not match their checksums."""
    root = Path(root)
    if verify:
        problems = verify_files(root)
        if problems:
            listing = "; ".join(f"{p.where}: {p.problem}" for p in problems[:5])
            raise UsageError(f"{root} is not an intact bundle ({listing})")
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    log = json.loads((root / "disclosure_log.json").read_text("utf-8"))
    return Bundle(root, manifest, log)
