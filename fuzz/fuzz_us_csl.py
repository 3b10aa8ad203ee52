"""atheris target: us_csl (see harness.py)."""

from harness import main

if __name__ == "__main__":
    main("us_csl")
