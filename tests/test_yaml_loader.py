"""The packaged YAML files read with libyaml's parser (smartstart._yaml) give exactly what
PyYAML's pure-Python safe loader gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import smartstart
from smartstart import _yaml

PACKAGED = sorted(p for p in Path(smartstart.__file__).parent.rglob("*.yaml")
                  if "__pycache__" not in p.parts)


def test_the_package_has_its_yaml_files():
    names = {p.name for p in PACKAGED}
    assert {"catalog.yaml", "text.yaml", "glossary.yaml", "regions.yaml",
            "questions.yaml"} <= names


@pytest.mark.parametrize("path", PACKAGED, ids=lambda p: p.relative_to(
    Path(smartstart.__file__).parent).as_posix())
def test_the_fast_loader_reads_what_the_python_loader_reads(path: Path):
    text = path.read_text("utf-8")
    assert _yaml.safe_load(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_the_fast_loader_refuses_what_is_not_safe():
    with pytest.raises(yaml.YAMLError):
        _yaml.safe_load("!!python/object/apply:os.system ['true']")
    with pytest.raises(yaml.YAMLError):
        _yaml.safe_load("a: [1, 2")
