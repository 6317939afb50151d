"""Tables: create (indexes, projections, TTL, billing), describe, list and delete.

Each test creates tables with unique names through `make_table`, which deletes whatever is
left at the end. What the server holds is checked with raw DescribeTable/DescribeTimeToLive
calls on the botocore client as well as through the library.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

import dynamorm_lab as dl

pytestmark = pytest.mark.integration


def make_product(table: str) -> Any:
    """A GSI with KEYS_ONLY, a GSI with INCLUDE, an LSI and a TTL field."""

    class Product(dl.Model, table=table,
                  projections={"ByCategory": "KEYS_ONLY", "ByBrand": ["title", "stock"]}):
        shop: str = dl.field(partition_key=True)
        sku: str = dl.field(sort_key=True)
        category: str = dl.field(gsi_partition="ByCategory")
        brand: str = dl.field(gsi_partition="ByBrand")
        price: Decimal = dl.field(gsi_sort="ByBrand")
        title: str = ""
        stock: int = dl.field(default=0, lsi_sort="ByStock")
        expires: dt.datetime | None = dl.field(ttl=True)

    return Product


def make_plain(table: str) -> Any:
    class Plain(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        value: int = 0

    return Plain


def raw_describe(db: dl.Connection, name: str) -> dict[str, Any]:
    table: dict[str, Any] = db.client.describe_table(TableName=name)["Table"]
    return table

@pytest.mark.needs("ttl")
def test_create_table_matches_the_model_schema(db: dl.Connection, make_table: Any,
                                               table_name: str) -> None:
    Product = make_table(make_product(table_name))
    declared = dl.schema(Product)
    live = db.describe(Product)

    assert live == declared
    assert live.name == table_name
    assert live.partition == dl.KeyAttribute("shop", "S")
    assert live.sort == dl.KeyAttribute("sku", "S")
    assert [i.name for i in live.indexes] == [i.name for i in declared.indexes]
    for live_index, declared_index in zip(live.indexes, declared.indexes, strict=True):
        assert live_index.kind == declared_index.kind
        assert live_index.partition == declared_index.partition
        assert live_index.sort == declared_index.sort
        assert live_index.projection == declared_index.projection
        assert set(live_index.non_key_attributes) == set(declared_index.non_key_attributes)
    by_category = live.index("ByCategory")
    assert (by_category.kind, by_category.projection) == ("GSI", "KEYS_ONLY")
    assert by_category.partition == dl.KeyAttribute("category", "S")
    by_brand = live.index("ByBrand")
    assert (by_brand.kind, by_brand.projection) == ("GSI", "INCLUDE")
    assert by_brand.sort == dl.KeyAttribute("price", "N")
    assert set(by_brand.non_key_attributes) == {"title", "stock"}
    by_stock = live.index("ByStock")
    assert (by_stock.kind, by_stock.projection) == ("LSI", "ALL")
    assert by_stock.sort == dl.KeyAttribute("stock", "N")
    assert live.ttl_attribute == "expires"

    # the same facts, read raw from the server
    raw = raw_describe(db, table_name)
    assert raw["TableStatus"] == "ACTIVE"
    assert raw["KeySchema"] == [{"AttributeName": "shop", "KeyType": "HASH"},
                                {"AttributeName": "sku", "KeyType": "RANGE"}]
    gsis = {g["IndexName"]: g for g in raw["GlobalSecondaryIndexes"]}
    assert set(gsis) == {"ByCategory", "ByBrand"}
    assert gsis["ByCategory"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert gsis["ByBrand"]["Projection"]["ProjectionType"] == "INCLUDE"
    assert set(gsis["ByBrand"]["Projection"]["NonKeyAttributes"]) == {"title", "stock"}
    assert gsis["ByBrand"]["KeySchema"] == [{"AttributeName": "brand", "KeyType": "HASH"},
                                            {"AttributeName": "price", "KeyType": "RANGE"}]
    lsis = {i["IndexName"]: i for i in raw["LocalSecondaryIndexes"]}
    assert set(lsis) == {"ByStock"}
    assert lsis["ByStock"]["KeySchema"] == [{"AttributeName": "shop", "KeyType": "HASH"},
                                            {"AttributeName": "stock", "KeyType": "RANGE"}]
    assert lsis["ByStock"]["Projection"] == {"ProjectionType": "ALL"}
    assert raw.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"

    ttl = db.client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
    assert ttl["AttributeName"] == "expires"


def test_ttl_is_not_enabled_when_not_asked_for(db: dl.Connection, make_table: Any,
                                                table_name: str) -> None:
    Product = make_table(make_product(table_name), ttl=False)
    ttl = db.client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"
    assert db.describe(Product).ttl_attribute is None

@pytest.mark.needs("ttl")
def test_provisioned_billing_shows_in_describe(db: dl.Connection, make_table: Any,
                                               table_name: str) -> None:
    Product = make_table(make_product(table_name), billing="PROVISIONED", read_capacity=3,
                         write_capacity=4)

    raw = raw_describe(db, table_name)
    assert raw["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert raw["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert raw["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    for gsi in raw["GlobalSecondaryIndexes"]:
        assert gsi["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
        assert gsi["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    live = db.describe(Product)
    assert live.extra["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert live == dl.schema(Product)


def test_delete_table_removes_it(db: dl.Connection, make_table: Any, table_name: str) -> None:
    Plain = make_table(make_plain(table_name))
    Plain(pk="a", value=1).create()
    assert db.table_exists(Plain)
    assert db.table_exists(table_name)

    Plain.delete_table()

    assert not db.table_exists(Plain)
    assert table_name not in db.tables()
    with pytest.raises(ClientError) as caught:
        db.client.describe_table(TableName=table_name)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(dl.TableNotFound):
        Plain.get("a")


def test_delete_table_by_name_through_the_connection(db: dl.Connection, make_table: Any,
                                                     table_name: str) -> None:
    make_table(make_plain(table_name))
    db.delete_table(table_name)
    assert not db.table_exists(table_name)
    assert table_name not in db.client.list_tables()["TableNames"]


def test_creating_an_existing_table_raises_and_keeps_it(db: dl.Connection, make_table: Any,
                                                        table_name: str) -> None:
    Plain = make_table(make_plain(table_name))
    Plain(pk="keep", value=7).create()

    with pytest.raises(dl.DynamoDBError) as caught:
        db.create_table(Plain)
    assert isinstance(caught.value, dl.errors.DynamoDBError)
    assert caught.value.table == table_name

    item = db.client.get_item(TableName=table_name, Key={"pk": {"S": "keep"}},
                              ConsistentRead=True).get("Item")
    assert item == {"pk": {"S": "keep"}, "value": {"N": "7"}}


def test_tables_lists_created_tables(db: dl.Connection, make_table: Any,
                                     table_name: str) -> None:
    first, second = f"{table_name}_a", f"{table_name}_b"
    make_table(make_plain(first))
    make_table(make_plain(second))

    names = db.tables()
    assert first in names and second in names
    assert names == sorted(names)
    assert set(names) == set(db.client.list_tables()["TableNames"])

    db.delete_table(first)
    names = db.tables()
    assert first not in names and second in names


def test_describe_of_a_missing_table_raises_table_not_found(db: dl.Connection,
                                                            table_name: str) -> None:
    missing = f"{table_name}_missing"
    with pytest.raises(dl.TableNotFound) as caught:
        db.describe(missing)
    assert caught.value.table == missing
    assert missing in str(caught.value)
    assert not db.table_exists(missing)

    Plain = make_plain(missing)
    with pytest.raises(dl.TableNotFound) as caught:
        db.describe(Plain)
    assert caught.value.table == missing
