"""Every rule the disclosure gate can name has plain Dutch and English words in the report."""

from __future__ import annotations

import re
from pathlib import Path

import smartstart.disclosure
from smartstart.outputs import REGISTER
from smartstart.report._text import texts

SOURCE = Path(smartstart.disclosure.__file__).parent


def _rule_names() -> set[str]:
    found = set()
    for module in SOURCE.glob("*.py"):
        found |= set(re.findall(r'\bresult\(\s*"([a-z_]+)"', module.read_text("utf-8")))
    return found | {REGISTER}  # the register's rule, named by the run when it withholds


def test_every_rule_of_the_gate_has_words_in_both_languages():
    names = _rule_names()
    assert {"threshold", "protection", "denominators", "precision", "likelihood",
            "register"} <= names
    words = texts()
    for group in ("rule", "rule_why"):
        missing = {n for n in names if not all(words[group].get(n, {}).get(lang)
                                                for lang in ("nl", "en"))}
        assert missing == set(), f"{group} lacks words for {sorted(missing)}"
