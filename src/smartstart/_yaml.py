"""YAML read with libyaml's parser when PyYAML has it (about ten times faster than the pure
Python one: the report's texts, the catalog and the factor library took 0.8 s of the demo);
the same safe loader and the same results either way."""

from __future__ import annotations

from typing import Any

import yaml

#: the safe loader, in C when PyYAML was built with libyaml (its wheels are)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with ``LOADER``; raises ``yaml.YAMLError`` as it does."""
    return yaml.load(text, Loader=LOADER)  # noqa: S506 - LOADER is a safe loader
