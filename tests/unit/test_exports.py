"""The public surface: ``dynamorm_lab.__all__`` and where exported objects say they live."""

import inspect

import pytest

import dynamorm_lab as dl
from dynamorm_lab import errors

REQUIRED = [
    "Model", "field", "connect", "Connection", "path", "attr", "schema", "fields", "registry",
    "Registry", "Field", "Path", "Condition", "UpdateAction", "Placeholders", "Index",
    "KeyAttribute", "TableSchema", "Kind", "TypeNode", "RESERVED_WORDS", "is_reserved", "errors",
]

ERROR_CLASSES = sorted(
    name for name, obj in vars(errors).items()
    if inspect.isclass(obj) and issubclass(obj, BaseException)
    and obj.__module__ == errors.__name__
)


def _exported_from_private_modules() -> list[str]:
    names = []
    for name in dl.__all__:
        obj = getattr(dl, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if obj.__module__ == errors.__name__:
            continue
        if obj.__module__ != "dynamorm_lab" and "._" not in obj.__module__:
            continue  # defined in another public module, such as dynamorm_lab.samples
        names.append(name)
    return names


def test_all_is_sorted() -> None:
    assert dl.__all__ == sorted(dl.__all__)


def test_all_has_no_duplicates() -> None:
    assert len(dl.__all__) == len(set(dl.__all__))


@pytest.mark.parametrize("name", dl.__all__)
def test_every_name_in_all_exists(name: str) -> None:
    assert hasattr(dl, name)


@pytest.mark.parametrize("name", REQUIRED)
def test_public_names_are_exported(name: str) -> None:
    assert name in dl.__all__
    assert hasattr(dl, name)


def test_error_classes_were_found() -> None:
    assert {"DynamormError", "ModelDefinitionError", "ExpressionError",
            "ValidationError"} <= set(ERROR_CLASSES)


@pytest.mark.parametrize("name", ERROR_CLASSES)
def test_every_exception_class_is_exported(name: str) -> None:
    assert name in dl.__all__
    assert getattr(dl, name) is getattr(errors, name)


def test_errors_all_lists_every_exception_class() -> None:
    assert sorted(errors.__all__) == ERROR_CLASSES


def test_every_exception_derives_from_the_base() -> None:
    for name in ERROR_CLASSES:
        assert issubclass(getattr(errors, name), errors.DynamormError), name


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from dynamorm_lab import *", namespace)  # the statement users write
    namespace.pop("__builtins__", None)
    assert set(namespace) == set(dl.__all__)


def test_some_objects_come_from_private_modules() -> None:
    names = _exported_from_private_modules()
    assert {"Model", "field", "connect", "Connection", "path", "attr", "schema",
            "fields"} <= set(names)


@pytest.mark.parametrize("name", _exported_from_private_modules())
def test_exported_objects_report_the_package_as_module(name: str) -> None:
    obj = getattr(dl, name)
    assert obj.__module__ == "dynamorm_lab"
    assert getattr(dl, obj.__qualname__) is obj  # findable where it says it lives


def test_registry_is_the_registry() -> None:
    assert isinstance(dl.registry, dl.Registry)
