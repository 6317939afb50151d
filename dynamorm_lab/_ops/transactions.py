"""Transactions: up to 100 actions over any models, all or nothing.

Actions are built by the same builders as single writes, so version checks, timestamps and
guards are identical. A cancelled transaction raises `TransactionCancelled` whose `actions`
list says, for each action in order, what it was, why it was cancelled
(ConditionalCheckFailed, TransactionConflict, ...) and the item DynamoDB returned, decoded to
the caller's model. Objects are updated (versions, timestamps) only after a commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._core import display
from .._core.codec import decode_item
from .._core.expr import Condition, Placeholders, UpdateAction, compile_condition
from .._core.model import Model
from .._core.requests import (
    WriteRequest,
    build_create,
    build_delete,
    build_save,
    build_update,
    key_of,
    wire_key,
)
from ..errors import TransactionCancelled, ValidationError

if TYPE_CHECKING:
    from .transport import Transport

__all__ = ["CancelledAction", "Transaction", "transact_get"]

MAX_ACTIONS = 100


@dataclass
class CancelledAction:
    """One action of a cancelled transaction and DynamoDB's reason for it."""

    index: int
    action: str
    model: type[Model] | None
    key: dict[str, Any]
    code: str
    message: str
    item: Any
    source: Any

    @property
    def target(self) -> str:
        return self.model.__name__ if self.model is not None else "item"

    def __repr__(self) -> str:
        key = display.item_text(decode_item(self.key))
        return f"<{self.action} {self.target} {key}: {self.code}>"


@dataclass
class _Action:
    kind: str
    entry: dict[str, Any]
    request: WriteRequest | None
    model: type[Model] | None
    key: dict[str, Any]
    source: Any
    table: str


def _strip(params: dict[str, Any]) -> dict[str, Any]:
    """TransactWriteItems entries take no ReturnValues."""
    return {k: v for k, v in params.items() if k != "ReturnValues"}


class Transaction:
    """A write transaction; commits on leaving the ``with`` block (or by ``commit()``).

    >>> with db.transaction() as tx:
    ...     tx.update(account_a, Account.balance.set(Account.balance - 10))
    ...     tx.update(account_b, Account.balance.set(Account.balance + 10))
    """

    def __init__(self, transport: Transport, *, token: str | None = None) -> None:
        if token is not None and not (isinstance(token, str) and 1 <= len(token) <= 36):
            raise ValidationError("an idempotency token is a string of 1 to 36 characters")
        self._conn = transport
        self.token = token or str(uuid.uuid4())
        self._actions: list[_Action] = []
        self.committed = False

    def __len__(self) -> int:
        return len(self._actions)

    @property
    def headline(self) -> str:
        """``committed: 2 actions`` (or open, sent when its ``with`` block ends)."""
        state = "committed" if self.committed else "open (sent when its with block ends)"
        return f"{state}: {display.count(len(self), 'action')}"

    def __repr__(self) -> str:
        return f"<Transaction {self.headline}>"

    def _repr_html_(self) -> str:
        """The state, the idempotency token, and each action: what, on which item."""
        rows = [{"action": a.kind, "table": a.table, "key": display.item_text(decode_item(
            a.key))} for a in self._actions]
        return display.card(f"Transaction {self.headline}", [("token", self.token)],
                            body=display.table(rows) if rows else "")

    def _add(self, kind: str, entry: dict[str, Any], request: WriteRequest | None, *,
             model: type[Model] | None, key: dict[str, Any], source: Any) -> Transaction:
        if self.committed:
            raise ValidationError("this transaction was already committed")
        if len(self._actions) >= MAX_ACTIONS:
            raise ValidationError(f"a transaction holds at most {MAX_ACTIONS} actions")
        table = str(entry["TableName"])
        for action in self._actions:
            if action.table == table and action.key == key:
                raise ValidationError(
                    f"the item {key} of {table} is already in this transaction; DynamoDB "
                    "allows one action per item", table=table, key=key)
        self._actions.append(_Action(kind, {kind: entry}, request, model, key, source, table))
        return self

    def add_request(self, kind: str, params: dict[str, Any]) -> Transaction:
        """Add a table-level request (Put, Update, Delete or ConditionCheck parameters, as
        built for PartiQL statements); the item is identified by its Key or Item."""
        if kind not in ("Put", "Update", "Delete", "ConditionCheck"):
            raise ValidationError(f"unknown transaction action {kind!r}")
        entry = {k: v for k, v in params.items() if k != "ReturnValues"}
        key = entry.get("Key") or entry.get("Item") or {}
        return self._add(kind, entry, None, model=None, key=key, source=None)

    def create(self, obj: Model, *, condition: Condition | None = None) -> Transaction:
        """Put `obj` only if no item has its key."""
        request = build_create(obj, condition)
        return self._add("Put", _strip(request.params), request,
                         model=type(obj), key=request.key, source=obj)

    def put(self, obj: Model, *, condition: Condition | None = None) -> Transaction:
        """Write every field of `obj` (checked and bumped version when versioned)."""
        request = build_save(obj, condition)
        return self._add("Update", _strip(request.params), request,
                         model=type(obj), key=request.key, source=obj)

    save = put

    def update(self, target: Any, *actions: UpdateAction, key: Any = None,
               condition: Condition | None = None, must_exist: bool = True) -> Transaction:
        """Apply update actions to an object, or to ``Model`` with ``key=``."""
        wire = None
        if isinstance(target, type):
            if key is None:
                raise ValidationError("update(Model, ...) in a transaction needs key=")
            wire = wire_key(target, key)
        request = build_update(target, actions, condition, key=wire, must_exist=must_exist)
        model = target if isinstance(target, type) else type(target)
        return self._add("Update", _strip(request.params), request,
                         model=model, key=request.key, source=target)

    def delete(self, target: Any, *, key: Any = None,
               condition: Condition | None = None) -> Transaction:
        """Delete an object (version-checked), or ``Model`` with ``key=``."""
        wire = None
        if isinstance(target, type):
            if key is None:
                raise ValidationError("delete(Model, ...) in a transaction needs key=")
            wire = wire_key(target, key)
        request = build_delete(target, condition, key=wire)
        model = target if isinstance(target, type) else type(target)
        return self._add("Delete", request.params, request,
                         model=model, key=request.key, source=target)

    def check(self, target: Any, condition: Condition, *, key: Any = None) -> Transaction:
        """Require `condition` to hold for an item, without writing it."""
        if not isinstance(condition, Condition):
            raise ValidationError("check() needs a condition")
        model: type[Model]
        if isinstance(target, type):
            if key is None:
                raise ValidationError("check(Model, condition) needs key=")
            model = target
            wire = wire_key(model, key)
        else:
            model, wire = type(target), key_of(target)
        ph = Placeholders()
        entry = {"TableName": model.__table__, "Key": wire,
                 "ConditionExpression": compile_condition(condition, ph),
                 "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        return self._add("ConditionCheck", ph.into(entry), None,
                         model=model, key=wire, source=target)

    def commit(self) -> None:
        """Send the transaction; on success apply versions and timestamps to the objects."""
        if self.committed:
            raise ValidationError("this transaction was already committed")
        if not self._actions:
            self.committed = True
            return
        try:
            self._conn.call("TransactWriteItems", {
                "TransactItems": [a.entry for a in self._actions],
                "ClientRequestToken": self.token})
        except TransactionCancelled as exc:
            raise self._explain(exc) from exc
        self.committed = True
        for action in self._actions:
            request = action.request
            if request is None or isinstance(action.source, type):
                continue
            action.source.__dict__.update(request.apply)

    def _explain(self, exc: TransactionCancelled) -> TransactionCancelled:
        cancelled = []
        for index, (action, reason) in enumerate(zip(self._actions, exc.reasons, strict=False)):
            code = str(reason.get("Code", "None"))
            item = reason.get("Item")
            decoded = None
            if item:
                decoded = action.model.from_item(item) if action.model else decode_item(item)
            cancelled.append(CancelledAction(index, action.kind, action.model, action.key, code,
                                             str(reason.get("Message", "")), decoded,
                                             action.source))
        failing = [c for c in cancelled if c.code not in ("None", "")]
        summary = "; ".join(f"action {c.index + 1} ({c.action} {c.target}): {c.code}"
                            for c in failing) or "no reason given"
        error = TransactionCancelled(
            f"transaction cancelled, nothing was written: {summary}", reasons=exc.reasons,
            code=exc.code, request_id=exc.request_id, operation=exc.operation)
        error.actions = cancelled
        return error

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None and not self.committed:
            self.commit()


def transact_get(transport: Transport, pairs: Sequence[tuple[type[Model], Any]]) -> list[Any]:
    """Read up to 100 items in one consistent snapshot; None where an item is missing."""
    if not 1 <= len(pairs) <= MAX_ACTIONS:
        raise ValidationError(f"transact_get reads 1 to {MAX_ACTIONS} items")
    entries = []
    for model, key in pairs:
        wire = wire_key(model, key)
        entries.append({"Get": {"TableName": model.__table__, "Key": wire}})
    response = transport.call("TransactGetItems", {"TransactItems": entries})
    return [model.from_item(r["Item"]) if r.get("Item") else None
            for (model, _key), r in zip(pairs, response.get("Responses", []), strict=True)]
