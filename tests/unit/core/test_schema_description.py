"""TableSchema.from_description: an incomplete DescribeTable is a library error, not a KeyError."""

from __future__ import annotations

from typing import Any

import pytest

import dynamorm_lab as dl


def description(**changes: Any) -> dict[str, Any]:
    table: dict[str, Any] = {
        "TableName": "Users",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "email", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": "ByEmail", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}]}],
    }
    table.update(changes)
    return table


def test_a_complete_description_reads_its_keys_and_indexes() -> None:
    schema = dl.TableSchema.from_description(description())
    assert schema.partition == dl.KeyAttribute("pk", "S")
    assert [(i.name, i.partition.name, i.partition.type) for i in schema.indexes] == [
        ("ByEmail", "email", "S")]


def test_an_index_key_without_a_definition_names_the_attribute_and_the_index() -> None:
    broken = description(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    with pytest.raises(dl.DynamoDBError) as raised:
        dl.TableSchema.from_description(broken)
    assert "'email'" in str(raised.value) and "index ByEmail" in str(raised.value)
    assert raised.value.table == "Users"


def test_a_key_schema_without_a_partition_key_is_refused() -> None:
    with pytest.raises(dl.DynamoDBError, match="no partition key"):
        dl.TableSchema.from_description(description(
            KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}]))


def test_a_multi_attribute_index_key_is_read_in_its_order() -> None:
    schema = dl.TableSchema.from_description(description(
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in
                              (("pk", "S"), ("t", "S"), ("r", "S"), ("n", "N"), ("b", "B"))],
        GlobalSecondaryIndexes=[{
            "IndexName": "Multi", "Projection": {"ProjectionType": "KEYS_ONLY"},
            "KeySchema": [{"AttributeName": "r", "KeyType": "HASH"},
                          {"AttributeName": "t", "KeyType": "HASH"},
                          {"AttributeName": "n", "KeyType": "RANGE"},
                          {"AttributeName": "b", "KeyType": "RANGE"}]}]))
    index = schema.index("Multi")
    assert [k.name for k in index.partition_keys] == ["r", "t"]
    assert [(k.name, k.type) for k in index.sort_keys] == [("n", "N"), ("b", "B")]
    assert index.multi_attribute and index.key_names == ("r", "t", "n", "b")
    assert schema.create_table_request()["GlobalSecondaryIndexes"][0]["KeySchema"] == [
        {"AttributeName": "r", "KeyType": "HASH"}, {"AttributeName": "t", "KeyType": "HASH"},
        {"AttributeName": "n", "KeyType": "RANGE"}, {"AttributeName": "b", "KeyType": "RANGE"}]
