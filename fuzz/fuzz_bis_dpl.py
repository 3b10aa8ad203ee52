"""atheris target: bis_dpl (see harness.py)."""

from harness import main

if __name__ == "__main__":
    main("bis_dpl")
