"""atheris target: every parser and the normaliser in one process (the first byte
picks which); what CI runs, since one start-up costs more than a short fuzz."""

from harness import main

if __name__ == "__main__":
    main("all")
