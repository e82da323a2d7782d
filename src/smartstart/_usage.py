"""``UsageError``, in a module of its own: report/ and web/ raise it without loading the
microdata layers that ``smartstart.errors`` sits beside (``sources.errors``)."""


class UsageError(ValueError):
    """A command given something it cannot use (a region it does not know, a folder that is
    no bundle, a language it does not speak, a password too short): the CLI prints the message
    and exits 1. A ValueError, so that pydantic's validators report it as their own; the CLI
    catches this class only, and any other ValueError is a bug with its trace."""
