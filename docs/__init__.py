"""The docs pages are doctested by pytest; this marks the folder as a package so its conftest
does not collide with tests/conftest.py (both would be imported as the module ``conftest``)."""
