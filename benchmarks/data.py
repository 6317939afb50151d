"""The benchmark data set and the same table declared in each library.

`generate(n)` makes `n` deterministic items (a seeded `random.Random`) of 14 attributes:
S, N (ints, 2-place decimals and 11-place decimals), BOOL, S-or-NULL, SS, NS, L, a nested M
(holding a NULL) and B. Lists are homogeneous so that every tool, awswrangler's Arrow
conversion included, can read the same table.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.models import Model as PynamoModel

import dynamorm_lab as dl

SEED = 20_000
READ_TABLE = "bench_items"
WRITE_TABLE = "bench_writes"
ATTRIBUTES = ("pk", "sk", "name", "qty", "price", "ratio", "active", "note", "tags", "levels",
              "history", "info", "blob", "created")

_WORDS = ("amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo",
          "juniper", "kestrel", "lagoon", "meadow", "nimbus", "onyx", "prairie", "quartz",
          "raven", "sierra", "tundra", "umber", "valley", "willow", "xenon", "yarrow", "zephyr")
_CITIES = ("Lisbon", "Porto", "Braga", "Faro", "Coimbra", "Aveiro", "Evora", "Viseu")
_START = datetime(2024, 1, 1, tzinfo=UTC)


def partition(index: int) -> str:
    """The partition key of item `index` (ten items per partition)."""
    return f"p#{index // 10:05d}"


def generate(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` items as plain Python values (the same list for the same arguments)."""
    rng = random.Random(seed)
    items = []
    for index in range(count):
        words = rng.sample(_WORDS, 3)
        items.append({
            "pk": partition(index),
            "sk": index,
            "name": " ".join(words).title(),
            "qty": rng.randrange(1_000_000),
            "price": Decimal(rng.randrange(100_000)).scaleb(-2),
            "ratio": Decimal(rng.randrange(10**11)).scaleb(-11),
            "active": rng.random() < 0.5,
            "note": None if index % 3 == 0 else f"note {rng.randrange(10_000)}",
            "tags": set(rng.sample(_WORDS, rng.randint(1, 4))),
            "levels": set(rng.sample(range(100), rng.randint(1, 3))),
            "history": [rng.randrange(1000) for _ in range(rng.randint(1, 6))],
            "info": {
                "city": rng.choice(_CITIES),
                "zip": rng.randrange(1000, 9999),
                "geo": {"lat": Decimal(rng.randrange(-9000, 9000)).scaleb(-2),
                        "lon": Decimal(rng.randrange(-18000, 18000)).scaleb(-2)},
                "deleted": None,
            },
            "blob": rng.randbytes(rng.randint(16, 48)),
            "created": (_START + timedelta(seconds=rng.randrange(31_536_000))).isoformat(),
        })
    return items


def to_wire(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Wire items (AttributeValue maps, as botocore's client returns them), made by boto3's
    TypeSerializer so that no tool under test shapes the input."""
    serializer = TypeSerializer()
    return [{k: serializer.serialize(v) for k, v in item.items()} for item in items]


def key_schema() -> dict[str, Any]:
    """CreateTable arguments shared by both tables (on-demand, pk S + sk N)."""
    return {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


# --- dynamorm_lab ---------------------------------------------------------------------------

class Item(dl.Model, table=READ_TABLE):
    """The benchmark item as a dynamorm_lab model (the read table)."""

    pk: str = dl.field(partition_key=True)
    sk: int = dl.field(sort_key=True)
    name: str
    qty: int
    price: Decimal
    ratio: Decimal
    active: bool
    note: str | None = None
    tags: set[str] = dl.field(default_factory=set)
    levels: set[int] = dl.field(default_factory=set)
    history: list[int] = dl.field(default_factory=list)
    info: dict[str, Any] = dl.field(default_factory=dict)
    blob: bytes = b""
    created: str = ""


class WriteItem(Item, table=WRITE_TABLE):
    """The same fields, stored in the write table."""


class PlannerItem(dl.Model, table="bench_planner"):
    """A table with indexes for the planner benchmark (never created: planning is local)."""

    pk: str = dl.field(partition_key=True)
    sk: int = dl.field(sort_key=True)
    city: str = dl.field(gsi_partition="ByCity")
    created: str = dl.field(gsi_sort=["ByCity", "ByStatus"], lsi_sort="ByCreated")
    status: str | None = dl.field(default=None, gsi_partition="ByStatus")
    qty: int = 0


def dl_objects(items: list[dict[str, Any]], model: type[Item] = Item) -> list[Item]:
    return [model(**item) for item in items]


# --- PynamoDB -------------------------------------------------------------------------------

def pynamo_model(table: str, endpoint: str | None) -> type[PynamoModel]:
    """A PynamoDB model of `table` at `endpoint` (None: used offline only, never connects)."""

    class PynamoItem(PynamoModel):
        class Meta:  # read by PynamoDB's metaclass when the class statement runs
            table_name = table
            region = "us-east-1"
            aws_access_key_id = "local"
            aws_secret_access_key = "local"
            max_retry_attempts = 3
            if endpoint is not None:
                host = endpoint

        pk = UnicodeAttribute(hash_key=True)
        sk = NumberAttribute(range_key=True)
        name = UnicodeAttribute()
        qty = NumberAttribute()
        price = NumberAttribute()
        ratio = NumberAttribute()
        active = BooleanAttribute()
        note = UnicodeAttribute(null=True)
        tags = UnicodeSetAttribute(null=True)
        levels = NumberSetAttribute(null=True)
        history = ListAttribute(of=NumberAttribute, null=True)
        info: MapAttribute[str, Any] = MapAttribute(null=True)  # type: ignore[no-untyped-call]
        blob = BinaryAttribute(legacy_encoding=False, null=True)
        created = UnicodeAttribute(null=True)

    return PynamoItem


def _floats(value: Any) -> Any:
    """PynamoDB numbers are int or float (it cannot store a Decimal)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    return value


def pynamo_objects(model: type[PynamoModel], items: list[dict[str, Any]]) -> list[Any]:
    """PynamoDB objects holding the same values (decimals as floats, PynamoDB's number type)."""
    return [model(**{k: _floats(v) for k, v in item.items()}) for item in items]
