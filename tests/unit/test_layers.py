"""The house keeps its layers: every import of the package points down, or stays in its layer,
with no circle anywhere (imports under TYPE_CHECKING and inside functions count: a type a
module names is a dependency of its design).

The layers, from the bottom up, are drawn in dynamorm_lab/__init__.py. The checker itself
(tests/layers.py) is tested here on a small package made for the purpose: an import that
points up a layer, a circle, a forbidden third-party import and a face reaching past the
public API are each reported with the file, the line and the import as written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from layers import Layer, circles, imports, modules, problems

import dynamorm_lab

PACKAGE = Path(dynamorm_lab.__file__).parent

# Everything heavy or I/O-bound that the pure core may not import.
HEAVY = ("pandas", "pyarrow", "numpy", "IPython", "ipywidgets", "traitlets", "botocore", "boto3",
         "moto", "tqdm", "werkzeug", "flask")
FACES_ONLY = ("IPython", "ipywidgets", "traitlets")

LAYERS = [
    Layer("errors", ("dynamorm_lab.errors",), forbidden=HEAVY),
    Layer("core", ("dynamorm_lab._core",), forbidden=HEAVY),
    Layer("frames", ("dynamorm_lab.frames",), forbidden=("botocore", "boto3", *FACES_ONLY)),
    Layer("local", ("dynamorm_lab.local",), forbidden=("pandas", "pyarrow", *FACES_ONLY)),
    Layer("ops", ("dynamorm_lab._ops",), forbidden=("pandas", "pyarrow", "numpy", *FACES_ONLY)),
    Layer("facade", ("dynamorm_lab._connection",),
          forbidden=("pandas", "pyarrow", "numpy", *FACES_ONLY)),
    Layer("language and samples", ("dynamorm_lab.lang", "dynamorm_lab.samples"),
          forbidden=FACES_ONLY),
    Layer("api", ("dynamorm_lab.api",), forbidden=FACES_ONLY),
    Layer("faces", ("dynamorm_lab.magics", "dynamorm_lab.widgets"),
          only=("dynamorm_lab.api", "dynamorm_lab.frames")),
    Layer("front door", ("dynamorm_lab",)),
]


def test_the_package_keeps_its_layers_and_has_no_circle() -> None:
    found = problems(PACKAGE, LAYERS)
    assert not found, "\n" + "\n".join(found)


def test_every_module_is_in_a_layer() -> None:
    from layers import layer_of

    assert [name for name in modules(PACKAGE) if layer_of(name, LAYERS) is None] == []


def test_every_package_says_what_it_holds_and_may_import() -> None:
    for init in sorted(PACKAGE.rglob("__init__.py")):
        text = init.read_text(encoding="utf-8")
        assert text.lstrip().startswith('"""'), f"{init}: no docstring"


# --- the checker, on a package made for it ------------------------------------------------------

def make_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "toy"


TOY_LAYERS = [
    Layer("core", ("toy.core",), forbidden=("pandas",)),
    Layer("ops", ("toy.ops",)),
    Layer("api", ("toy.api",)),
    Layer("faces", ("toy.faces",), only=("toy.api",)),
    Layer("front", ("toy",)),
]
CLEAN = {
    "toy/__init__.py": "from . import api\n",
    "toy/api.py": "from .ops.run import go\n",
    "toy/core/__init__.py": "",
    "toy/core/model.py": "X = 1\n",
    "toy/core/query.py": "from .model import X\n",
    "toy/ops/__init__.py": "",
    "toy/ops/run.py": "from ..core.query import X\n\ndef go() -> int:\n    return X\n",
    "toy/faces/__init__.py": "",
    "toy/faces/magic.py": "from toy import api\n",
}


def test_a_clean_package_passes(tmp_path: Path) -> None:
    assert problems(make_package(tmp_path, CLEAN), TOY_LAYERS) == []


@pytest.mark.parametrize(("name", "text", "said"), [
    ("toy/core/model.py", "X = 1\nfrom ..ops import run\n",
     "toy/core/model.py:2: from ..ops import run  <- 'core' imports up into 'ops'"),
    ("toy/core/model.py",
     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..ops.run import go\nX = 1\n",
     "toy/core/model.py:3: from ..ops.run import go  <- 'core' imports up into 'ops'"),
    ("toy/core/model.py", "X = 1\ndef late():\n    import toy.api\n",
     "toy/core/model.py:3: import toy.api  <- 'core' imports up into 'api'"),
    ("toy/core/model.py", "import importlib\nX = importlib.import_module('toy.ops.run')\n",
     "toy/core/model.py:2: X = importlib.import_module('toy.ops.run')  <- 'core' imports up"),
    ("toy/core/model.py", "import pandas\nX = 1\n",
     "toy/core/model.py:1: import pandas  <- layer 'core' may not import pandas"),
    ("toy/faces/magic.py", "from toy.ops.run import go\n",
     "toy/faces/magic.py:1: from toy.ops.run import go  <- layer 'faces' may import only "
     "toy.api"),
])
def test_a_bad_import_is_reported_with_file_line_and_statement(
        tmp_path: Path, name: str, text: str, said: str) -> None:
    found = problems(make_package(tmp_path, {**CLEAN, name: text}), TOY_LAYERS)
    relative = [line.replace(str(tmp_path) + "/", "") for line in found]
    assert any(line.startswith(said) for line in relative), relative


def test_a_circle_is_reported_with_each_import(tmp_path: Path) -> None:
    files = {**CLEAN, "toy/core/model.py": "from .query import X as Y\nX = 1\n"}
    found = problems(make_package(tmp_path, files), TOY_LAYERS)
    relative = [line.replace(str(tmp_path) + "/", "") for line in found]
    assert len(relative) == 1 and relative[0].startswith(
        "circle: toy.core.model -> toy.core.query -> toy.core.model")
    assert "toy/core/model.py:1: from .query import X as Y" in relative[0]
    assert "toy/core/query.py:1: from .model import X" in relative[0]


def test_circles_finds_every_strongly_connected_group() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    assert sorted(sorted(c) for c in circles(graph)) == [["a", "b", "c"], ["d", "e"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_imports_resolve_relative_names_and_submodules(tmp_path: Path) -> None:
    package = make_package(tmp_path, CLEAN)
    known = modules(package)
    found = {(i.source, i.target) for name, path in known.items()
             for i in imports(name, path, known)}
    assert ("toy", "toy.api") in found
    assert ("toy.ops.run", "toy.core.query") in found
    assert ("toy.faces.magic", "toy.api") in found
