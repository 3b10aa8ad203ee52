"""atheris target: eu_fsf_xml (see harness.py)."""

from harness import main

if __name__ == "__main__":
    main("eu_fsf_xml")
