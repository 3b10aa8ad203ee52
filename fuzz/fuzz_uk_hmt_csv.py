"""atheris target: uk_hmt_csv (see harness.py)."""

from harness import main

if __name__ == "__main__":
    main("uk_hmt_csv")
