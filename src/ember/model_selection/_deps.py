"""Optional dependencies: import them where they are used, with a message naming the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

_EXTRAS = {"sklearn": ("scikit-learn", "sklearn"), "optuna": ("optuna", "tune"),
           "pandas": ("pandas", "pandas"), "matplotlib": ("matplotlib", "plot")}


def require(module: str, who: str) -> ModuleType:
    """Import ``module`` (e.g. "sklearn.model_selection"), or raise an ImportError that says
    which ember extra installs it."""
    top = module.split(".")[0]
    package, extra = _EXTRAS.get(top, (top, top))
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{who} needs {package}, which is not installed: pip install 'ember[{extra}]' "
            f"(or pip install {package})"
        ) from None
