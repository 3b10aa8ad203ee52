"""Errors a user can act on: each carries one clear message naming the input."""


class TamizError(Exception):
    """Base class: the CLI prints the message and exits non-zero, no traceback."""


class SourceError(TamizError):
    """A list file could not be read: truncated, wrong format, wrong encoding."""

    def __init__(self, path: str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnknownDataset(TamizError):
    pass


class FetchError(TamizError):
    pass


class StoreError(TamizError):
    pass
