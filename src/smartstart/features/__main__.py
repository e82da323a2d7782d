"""`python -m smartstart.features`: the README's table of what each factor needs."""

from smartstart.features import requirements_markdown

print(requirements_markdown())
