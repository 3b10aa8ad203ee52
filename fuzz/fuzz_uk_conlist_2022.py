"""atheris target: uk_conlist_2022 (see harness.py)."""

from harness import main

if __name__ == "__main__":
    main("uk_conlist_2022")
