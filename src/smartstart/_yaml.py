"""The package's own YAML files read with libyaml's parser when PyYAML has it (about ten times
faster than the pure Python one: the report's texts and the catalog were most of the 0.8 s the
demo spent reading YAML); the same safe loader and the same results either way. A user's files
(the pilot, a factor library) keep the pure Python parser: its errors show the line and a
caret."""

from __future__ import annotations

from typing import Any

import yaml

#: the safe loader, in C when PyYAML was built with libyaml (its wheels are)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with ``LOADER``; raises ``yaml.YAMLError`` as it does."""
    return yaml.load(text, Loader=LOADER)  # noqa: S506 - LOADER is a safe loader
