"""Exceptions a user may see; each message is a sentence they can act on."""


class FacegraphError(Exception):
    """Base class for facegraph's expected failures."""


class LibraryInUseError(FacegraphError):
    """Another process has the library open for writing."""


class LibraryNotFoundError(FacegraphError):
    """No library where one was expected."""


class LibraryVersionError(FacegraphError):
    """The library was written by a newer facegraph."""
