"""smartstart: data-driven prevention on CBS microdata, with disclosure-safe outputs."""

__version__ = "0.1.0"
__all__ = ["__version__"]
