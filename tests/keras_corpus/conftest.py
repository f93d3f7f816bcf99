"""The corpus programs are scripts run by tests/test_keras_corpus.py in subprocesses; pytest
must not import them (its --doctest-modules would run each program at collection)."""

collect_ignore_glob = ["*.py"]
