"""tamiz: sanctions and terrorist-designation screening."""

__version__ = "0.1.0"

__all__ = ["Screener", "compare", "__version__"]


def __getattr__(name: str):
    # Lazy: `import tamiz` stays cheap for the CLI's start-up time.
    if name == "Screener":
        from tamiz.screen.screener import Screener

        return Screener
    if name == "compare":
        from tamiz.match import compare

        return compare
    raise AttributeError(name)
