"""docs/ is a package only so that pytest imports docs/conftest.py as ``docs.conftest``: as a
top-level ``conftest`` it would shadow tests/conftest.py, which tests import from by name."""
