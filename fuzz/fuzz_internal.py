"""atheris target: internal (see harness.py)."""

from harness import main

if __name__ == "__main__":
    main("internal")
