"""Dependencies point down: a lower layer of ember never imports a higher one.

The layers are DESIGN.md's "Layers of the code, bottom up" (/work/shared/DESIGN.md):
backend → autograd → ops (and kernels) → layers (activations, initializers, regularizers,
constraints) → losses, metrics, optimizers, callbacks → models → everything around the core.
Every ``import`` in every module counts, including the ones inside a function body: a
function-local import is still a dependency, it only changes when it is paid for.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "ember"

# Module (or package) -> its layer. The longest matching prefix wins, so
# ``ember.layers.symbolic`` is layer 4 through ``ember.layers``. Anything not listed here is
# layer 7 (around the core: data, explain, sklearn, tune, interop, onnx, cli, ...).
LAYER_OF = {
    # 1. backend: the array module, dtypes and the small process-level helpers
    "ember.backend": 1, "ember.dtypes": 1, "ember.blas": 1, "ember.heap": 1,
    "ember.safe_io": 1, "ember.atomic_file": 1,
    # 2. autograd: Tensor, the graph, backward; devices and gradcheck are about tensors
    "ember.autograd": 2, "ember.devices": 2, "ember.cuda": 2, "ember.gradcheck": 2,
    # 3. ops and their fast kernels; the NumPy-style namespaces built from them
    "ember.ops": 3, "ember.kernels": 3, "ember.linalg": 3, "ember.creation": 3,
    "ember.distributions": 3,
    # 4. layers and what a layer is configured with (its weights are Variables, resolved from
    # initializer names); serialization is the name registry they all register with
    "ember.layers": 4, "ember.activations": 4, "ember.initializers": 4,
    "ember.regularizers": 4, "ember.constraints": 4, "ember.variable": 4,
    "ember.serialization": 4,
    # 5. what compile() and fit() take: losses, metrics, optimizers, callbacks; and the files
    # a model's layers and optimizer are saved to, which BackupAndRestore writes. Keras'
    # .keras / .weights.h5 formats are part of save/load (DESIGN: "read and written as Keras
    # writes them"), so those interop modules sit here too, as do the training doctor's rules
    # that the Doctor callback runs during fit.
    "ember.losses": 5, "ember.metrics": 5, "ember.optimizers": 5, "ember.callbacks": 5,
    "ember.saving": 5, "ember.interop.keras_file": 5, "ember.interop.keras_h5": 5,
    "ember.interop.keras_config": 5, "ember.interop.keras_layout": 5,
    "ember.interop.keras_compile": 5, "ember.interop.legacy_h5_model": 5,
    "ember.interop.legacy_h5": 5,
    "ember.explain.doctor": 5, "ember.explain.probe": 5, "ember.explain.findings": 5,
    "ember.explain._core": 5,
    # 6. models: the one training loop
    "ember.models": 6,
}
AROUND_THE_CORE = 7

# (importer, imported) -> why this upward arrow is allowed. Keep it empty; an entry needs a
# reason a reviewer accepts.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("ember.layers.tracking", "ember.metrics"): (
        "tf.keras' layer.add_metric(value, name) (a Keras 2 API kept for old programs) keeps a "
        "Mean metric per name on the layer; the import runs only inside add_metric"),
    ("ember.models.model", "ember.onnx"): (
        "Model.export('m.onnx') is Keras' method name; the exporter walks a built model, so it "
        "sits above models, and the import runs only inside export()"),
}


def layer_of(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYER_OF:
            return LAYER_OF[prefix]
    if module == "ember":
        # `import ember` / `from ember import x` from inside the package: the caller gets the
        # whole top-level namespace, which is built from layers 1-3 (the rest loads lazily).
        return 3
    return AROUND_THE_CORE


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    relative = pathlib.Path(*name.split("."))
    return ((SRC / relative).with_suffix(".py").is_file()
            or (SRC / relative / "__init__.py").is_file())


def imports_of(path: pathlib.Path) -> list[tuple[str, int]]:
    """Every ember module ``path`` imports, with the line: top-level and function-local alike."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                # `from ember import backend` imports the module ember.backend, not "ember".
                sub = f"{target}.{alias.name}"
                found.append((sub if is_module(sub) else target, node.lineno))
    return [(name, line) for name, line in found if name == "ember" or name.startswith("ember.")]


def upward_arrows() -> list[tuple[str, str, int, int, int]]:
    arrows = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        for imported, line in imports_of(path):
            low, high = layer_of(importer), layer_of(imported)
            if high > low and (importer, imported) not in ALLOWED_UPWARD:
                arrows.append((importer, imported, line, low, high))
    return arrows


def test_every_module_is_parsed():
    modules = [module_name(path) for path in PACKAGE.rglob("*.py")]
    assert "ember.autograd.engine" in modules and len(modules) > 100


def test_the_checker_sees_a_function_local_upward_import(tmp_path, monkeypatch):
    # The check itself could pass by seeing nothing: give it a known upward arrow.
    fake = tmp_path / "ember"
    (fake / "autograd").mkdir(parents=True)
    (fake / "ops").mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "ops" / "__init__.py").write_text("")
    (fake / "ops" / "shape.py").write_text("")
    (fake / "autograd" / "__init__.py").write_text("")
    (fake / "autograd" / "engine.py").write_text(
        "def f():\n    from ember.ops.shape import sum_to\n    return sum_to\n")
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path)
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    assert [(a, b, line) for a, b, line, *_ in upward_arrows()] == [
        ("ember.autograd.engine", "ember.ops.shape", 2)]


def test_allowed_exceptions_are_still_needed():
    seen = {(importer, imported) for path in PACKAGE.rglob("*.py")
            for importer in [module_name(path)] for imported, _ in imports_of(path)}
    stale = [pair for pair in ALLOWED_UPWARD if pair not in seen]
    assert not stale, f"these allowed upward imports no longer exist, remove them: {stale}"


def test_no_lower_layer_imports_a_higher_one():
    arrows = upward_arrows()
    if arrows:
        lines = [f"  {a} (layer {la}) imports {b} (layer {lb}) at line {line}"
                 for a, b, line, la, lb in arrows]
        pytest.fail("imports that point up DESIGN.md's layers:\n" + "\n".join(lines))
