"""Bundles for the report tests: the demo's real bundle (built once per session by
``smartstart demo``), and copies of it with outputs left out. No tests in this module."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_CACHE: dict[str, Path] = {}


def demo_bundle(tmp_path_factory) -> Path:
    """``DIR/results/bundle`` of the demo (built once per session)."""
    if "bundle" not in _CACHE:
        from smartstart.demo import run_demo

        root = tmp_path_factory.mktemp("report-demo")
        run_demo(root)
        _CACHE["bundle"] = root / "results" / "bundle"
    return _CACHE["bundle"]


def small_bundle(tmp_path_factory) -> Path:
    """The demo's bundle for 400 households (built once per session): the risk model is
    withheld, and the typology's small types are merged or withheld."""
    if "small" not in _CACHE:
        from smartstart.demo import run_demo

        root = tmp_path_factory.mktemp("report-small")
        run_demo(root, households=400)
        _CACHE["small"] = root / "results" / "bundle"
    return _CACHE["small"]


@dataclass(frozen=True)
class _Verdict:
    record: dict

    @property
    def status(self) -> str:
        return self.record["status"]

    def to_dict(self) -> dict:
        return {k: v for k, v in self.record.items() if k != "name"}


def bundle_without(source: Path, target: Path, prefix: str, *,
                   withheld: Sequence[tuple[str, str]] = (),
                   texts: Mapping[str, str] | None = None) -> Path:
    """A copy of ``source`` without the outputs whose name starts with ``prefix`` (as a pilot
    that did not ask for that analysis would write it), with ``withheld`` as the manifest's
    withheld outputs (none by default) and ``texts`` added or replaced."""
    from smartstart.bundle import BundleWriter, CheckedTable, read_bundle

    bundle = read_bundle(source)
    texts = dict(texts or {})
    with BundleWriter(target, pilot=bundle.manifest["pilot"], withheld=list(withheld)) as writer:
        for output in bundle.outputs:
            name = output["name"]
            if (prefix and name.startswith(prefix)) or name in texts:
                continue
            if output["kind"] == "chart":  # the report draws its own charts
                continue
            if output["kind"] == "text":
                writer.add_text(name, bundle.text(name), lang=output.get("lang", "nl"))
                continue
            writer.add_table(CheckedTable(name, bundle.table(name), _Verdict(bundle.verdict(name)),
                                          tuple(output.get("variables", ())),
                                          output.get("title_nl", ""), output.get("title_en", ""),
                                          output["kind"], output.get("rules") or {}))
        for name, text in texts.items():
            writer.add_text(name, text, lang=name.rsplit("_", 1)[-1])
    return target
