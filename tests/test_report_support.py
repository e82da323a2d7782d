"""Demo runs shared by the whole session, and bundles made from them for the report tests:
the demo's real bundle (``smartstart demo``, built once per session), and copies of it with
outputs left out. No tests in this module.

The runs are shared read only: a test that changes a file copies the folder first."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_CACHE: dict[str, Path] = {}


def demo_run(tmp_path_factory, households: int | None = None) -> Path:
    """The folder of ``run_demo`` (``cbs/``, ``store/``, ``results/``, ``rapport.html``) for the
    demo size (11,346 households, seed 1) or ``households``, built once per session."""
    key = f"demo-{households or 'full'}"
    if key not in _CACHE:
        from smartstart.demo import run_demo

        root = tmp_path_factory.mktemp(key)
        run_demo(root, households=households)
        _CACHE[key] = root
    return _CACHE[key]


def demo_bundle(tmp_path_factory) -> Path:
    """``DIR/results/bundle`` of the demo (built once per session)."""
    return demo_run(tmp_path_factory) / "results" / "bundle"


def small_bundle(tmp_path_factory) -> Path:
    """The demo's bundle for 400 households (built once per session): the risk model is
    withheld, and the typology's small types are merged or withheld."""
    return demo_run(tmp_path_factory, households=400) / "results" / "bundle"


@dataclass(frozen=True)
class _Verdict:
    record: dict

    @property
    def status(self) -> str:
        return self.record["status"]

    def to_dict(self) -> dict:
        return {k: v for k, v in self.record.items() if k != "name"}


def bundle_without(source: Path, target: Path, prefix: str | tuple[str, ...], *,
                   withheld: Sequence[tuple[str, str]] = (),
                   texts: Mapping[str, str] | None = None,
                   analyses: Sequence[str] | None = None) -> Path:
    """A copy of ``source`` without the outputs whose name starts with ``prefix`` (as a pilot
    that did not ask for that analysis would write it), with ``withheld`` as the manifest's
    withheld outputs (none by default), ``texts`` added or replaced, and the pilot's
    ``analyses`` when given (a pilot that asked for fewer)."""
    from smartstart.bundle import BundleWriter, CheckedTable, read_bundle

    bundle = read_bundle(source)
    texts = dict(texts or {})
    pilot = dict(bundle.manifest["pilot"])
    if analyses is not None and isinstance(pilot.get("study"), dict):
        pilot["study"] = {**pilot["study"], "analyses": list(analyses)}
    elif analyses is not None:
        pilot["analyses"] = list(analyses)
    with BundleWriter(target, pilot=pilot, withheld=list(withheld)) as writer:
        for output in bundle.outputs:
            name = output["name"]
            if (prefix and name.startswith(prefix)) or name in texts:
                continue
            if output["kind"] == "chart":  # the report draws its own charts
                continue
            if output["kind"] == "text":
                writer.add_text(name, bundle.text(name), lang=output.get("lang", "nl"))
                continue
            if output["kind"] == "map":
                based_on = tuple(output["based_on"])
                if all(any(o["name"] == b for o in writer.outputs) for b in based_on):
                    geojson, spec = (json.loads((bundle.root / f"maps/{name}{ext}")
                                                .read_text("utf-8"))
                                     for ext in (".geojson", ".json"))
                    writer.add_map(name, geojson, spec, based_on)
                continue
            writer.add_table(CheckedTable(name, bundle.table(name), _Verdict(bundle.verdict(name)),
                                          tuple(output.get("variables", ())),
                                          output.get("title_nl", ""), output.get("title_en", ""),
                                          output["kind"], output.get("rules") or {}))
        for name, text in texts.items():
            writer.add_text(name, text, lang=name.rsplit("_", 1)[-1])
    return target
