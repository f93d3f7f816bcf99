"""Makes docs/ a package, so pytest imports docs/conftest.py as ``docs.conftest``.

Without it both docs/conftest.py and tests/conftest.py are imported under the one name
``conftest``; the one loaded last wins ``sys.modules``, and the tests' ``from conftest import
mnist_dir`` (and the doctest collection of tests/conftest.py) then fail with an import error.
"""
