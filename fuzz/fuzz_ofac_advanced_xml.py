"""atheris target: ofac_advanced_xml (see harness.py)."""

from harness import main

if __name__ == "__main__":
    main("ofac_advanced_xml")
