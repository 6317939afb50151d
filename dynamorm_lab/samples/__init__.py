"""Public DynamoDB sample data sets, shipped compressed, and loaders for them.

- ``movies``: table Movies (year N, title S); the Developer Guide's Movies data (Apache-2.0).
- ``product-catalog``: ProductCatalog, Forum, Thread and Reply (with its GSI); the Developer
  Guide's sample tables (MIT-0).
- ``battle-royale``: a single-table game design with OpenGamesIndex (sparse) and
  InvertedIndex; aws-samples/amazon-dynamodb-labs (Apache-2.0).
- ``online-shop``: a NoSQL Workbench single-table shop with two sparse GSIs;
  aws-samples/amazon-dynamodb-design-patterns (MIT-0).

``data/SOURCES.md`` names the exact upstream files. The loaders write through the
connection they are given (the facade) and its transport.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .._core.codec import encode_item
from .._core.schema import Index, KeyAttribute, TableSchema
from .._core.session import resolve
from .._ops.batch import SampleLoad
from .._ops.progress import Progress
from ..errors import ValidationError
from ._io import (
    export_json,
    import_items,
    import_json,
    import_workbench_model,
    read_json,
    workbench_tables,
)

__all__ = [
    "SAMPLES", "Sample", "export_json", "import_json", "import_workbench_model", "load_sample",
    "sample_items",
]


for _public in (export_json, import_json, import_workbench_model):
    _public.__module__ = __name__  # documented here, defined in _io


def _data(name: str) -> Any:
    return read_json(resources.files(__package__).joinpath("data", name))


@dataclass(frozen=True)
class Sample:
    """A sample data set: its tables and where its items come from."""

    name: str
    description: str
    tables: tuple[TableSchema, ...]
    items: Callable[[], Iterator[tuple[str, dict[str, Any]]]]


def _s(name: str) -> KeyAttribute:
    return KeyAttribute(name, "S")


def _movies() -> Iterator[tuple[str, dict[str, Any]]]:
    for movie in _data("moviedata.json.gz"):
        yield "Movies", encode_item(movie)


def _product_catalog() -> Iterator[tuple[str, dict[str, Any]]]:
    from ._io import _items_from

    for name in ("ProductCatalog", "Forum", "Thread", "Reply"):
        for table, item, _where in _items_from(_data(f"{name}.json.gz"), None):
            yield table, item


def _battle_royale() -> Iterator[tuple[str, dict[str, Any]]]:
    for item in _data("battle-royale.jsonl.gz"):
        yield "battle-royale", encode_item(item)


@functools.cache
def _shop() -> list[tuple[TableSchema, list[dict[str, Any]]]]:
    return workbench_tables(_data("AnOnlineShop_14.json.gz"))


def _online_shop() -> Iterator[tuple[str, dict[str, Any]]]:
    for schema, items in _shop():
        for item in items:
            yield schema.name, item


SAMPLES: dict[str, Sample] = {
    "movies": Sample(
        "movies", "4,609 movies with year, title and an info map (rating, genres, actors...)",
        (TableSchema("Movies", KeyAttribute("year", "N"), _s("title")),), _movies),
    "product-catalog": Sample(
        "product-catalog", "the Developer Guide's ProductCatalog, Forum, Thread and Reply",
        (TableSchema("ProductCatalog", KeyAttribute("Id", "N")),
         TableSchema("Forum", _s("Name")),
         TableSchema("Thread", _s("ForumName"), _s("Subject")),
         TableSchema("Reply", _s("Id"), _s("ReplyDateTime"), (
             Index("PostedBy-Message-Index", "GSI", _s("PostedBy"), _s("Message")),))),
        _product_catalog),
    "battle-royale": Sample(
        "battle-royale", "a single-table game design: users, games and user-game mappings",
        (TableSchema("battle-royale", _s("PK"), _s("SK"), (
            Index("InvertedIndex", "GSI", _s("SK"), _s("PK")),
            Index("OpenGamesIndex", "GSI", _s("map"), _s("open_timestamp")))),),
        _battle_royale),
    "online-shop": Sample(
        "online-shop", "a NoSQL Workbench single-table online shop with two sparse GSIs",
        (TableSchema("OnlineShop", _s("PK"), _s("SK"), (
            Index("GSI1", "GSI", _s("GSI1-PK"), _s("GSI1-SK")),
            Index("GSI2", "GSI", _s("GSI2-PK"), _s("GSI2-SK")))),), _online_shop),
}


def sample_items(name: str) -> list[tuple[str, dict[str, Any]]]:
    """Every (table, wire item) pair of a sample, as it will be written."""
    return list(_sample(name).items())


def _sample(name: str) -> Sample:
    if name not in SAMPLES:
        raise ValidationError(f"unknown sample {name!r}; choose one of {', '.join(SAMPLES)}")
    return SAMPLES[name]


def load_sample(name: str, connection: Any = None, *,
                progress: bool | None = None) -> SampleLoad:
    """Create a sample's tables (when missing) and write its items; safe to run again.
    Returns each table's `WriteReport` by table name (``load["Movies"].written``)."""
    sample = _sample(name)
    conn = resolve(connection)
    for schema in sample.tables:
        if not conn.table_exists(schema.name):
            conn.create_table(schema)
    pairs = list(sample.items())
    with Progress(total=len(pairs), desc=f"loading {name}", enabled=progress) as bar:
        return import_items(conn, ((table, item, f"{name} item {number}") for number, (
            table, item) in enumerate(pairs, start=1)), progress=bar.update, name=name)
