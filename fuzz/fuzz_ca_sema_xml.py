"""atheris target: ca_sema_xml (see harness.py)."""

from harness import main

if __name__ == "__main__":
    main("ca_sema_xml")
