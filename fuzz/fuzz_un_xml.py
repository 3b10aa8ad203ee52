"""atheris target: un_xml (see harness.py)."""

from harness import main

if __name__ == "__main__":
    main("un_xml")
