"""The data maturity quick scan: the question bank (questions.yaml), scoring and advice.

Used by the workshop web app (``smartstart.web``, ``smartstart scan serve``).
"""

from smartstart.maturity._bank import LANGS, LEVELS, Bank, Item, Lang, Text, Theme, load_bank
from smartstart.maturity._score import DISCUSS_SPREAD, Answer, ThemeScore, score

__all__ = ["DISCUSS_SPREAD", "LANGS", "LEVELS", "Answer", "Bank", "Item", "Lang", "Text", "Theme",
           "ThemeScore", "load_bank", "score"]
