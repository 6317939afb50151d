"""Models from live tables: describe, sample, infer, and write the model (as a class or source).

A bounded sample of items (a Scan with a limit) gives every attribute's types and how often it
is present. Keys and indexes come from DescribeTable. Attributes every sampled item has, and
attributes always seen together (``GSI1-SK`` wherever ``GSI1-PK`` is), become the planner's
stated assumptions for sparse indexes. Single-table designs are split into one model per
entity type, recognised by an entity-type attribute or by key prefixes (``USER#``, ``GAME#``,
``#METADATA#``).
"""

from __future__ import annotations

import datetime as _dt
import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from .._core.fields import field as field_
from .._core.model import Model
from .._core.schema import TableSchema, gsi, gsi_source
from .samples import Profile, index_keys, profile_items

__all__ = ["build_model", "entity_groups", "entity_models", "entity_source", "model_source"]

_ENTITY_ATTRIBUTES = ("EntityType", "entityType", "entity_type", "Entity", "entity", "_type",
                      "type", "Type")
_SCALARS = {"S": "str", "B": "bytes", "BOOL": "bool"}
_RESERVED = frozenset(dir(Model)) | {"query", "scan"}


def python_name(attribute: str, taken: set[str]) -> str:
    """A valid, non-clashing Python name for an attribute name."""
    name = re.sub(r"\W", "_", attribute).lstrip("_") or "attribute"
    if name[0].isdigit():
        name = f"a_{name}"
    if keyword.iskeyword(name) or name in _RESERVED:
        name += "_"
    base, counter = name, 2
    while name in taken:
        name, counter = f"{base}_{counter}", counter + 1
    taken.add(name)
    return name


def _class_name(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:].lower() if w.isupper() else w[:1].upper() + w[1:]
                   for w in words) or "Item"
    return name if name[0].isalpha() else f"T{name}"


@dataclass
class _FieldPlan:
    attribute: str
    py_name: str
    annotation: str
    options: list[str]
    share: float


def _plan_fields(prof: Profile) -> list[_FieldPlan]:
    schema = prof.schema
    taken: set[str] = set()
    plans = []
    roles: dict[str, list[str]] = {}
    roles.setdefault(schema.partition.name, []).append("partition_key=True")
    if schema.sort:
        roles.setdefault(schema.sort.name, []).append("sort_key=True")
    for index in schema.indexes:
        if index.multi_attribute:
            continue  # declared on the class: indexes={...: dl.gsi(...)}
        if index.kind == "GSI":
            roles.setdefault(index.partition.name, []).append(f"gsi_partition={index.name!r}")
            if index.sort:
                roles.setdefault(index.sort.name, []).append(f"gsi_sort={index.name!r}")
        elif index.sort:
            roles.setdefault(index.sort.name, []).append(f"lsi_sort={index.name!r}")
    keys = dict.fromkeys(schema.key_names)
    indexed = index_keys(schema)
    order = list(keys) + sorted(n for n in prof.attributes if n not in keys)
    for name in order:
        info = prof.attributes[name]
        py = python_name(name, taken)
        options = list(roles.get(name, []))
        key = (schema.partition if name == schema.partition.name else schema.sort
               if name in keys else None if info.seen else indexed.get(name))
        if key is not None:
            number = "int" if info.integral else "Decimal"
            annotation = {"S": "str", "N": number, "B": "bytes"}[key.type]
            if name not in keys:
                annotation += " | None"  # an item without it is simply not in the index
        elif name == schema.ttl_attribute:
            annotation, options = "datetime | None", [*options, "ttl=True"]
        else:
            annotation = info.annotation(prof.sampled)
        if py != name:
            options.append(f"name={name!r}")
        if name not in keys and ("None" in annotation or annotation == "Any"):
            options.insert(0, "None")
        share = info.seen / prof.sampled if prof.sampled else 1.0
        plans.append(_FieldPlan(name, py, annotation, options, share))
    return plans


def _projections(schema: TableSchema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index in schema.indexes:
        if index.multi_attribute:
            continue
        if index.projection == "KEYS_ONLY":
            out[index.name] = "KEYS_ONLY"
        elif index.projection == "INCLUDE":
            out[index.name] = list(index.non_key_attributes)
    return out


def _declared_indexes(schema: TableSchema, py_names: dict[str, str]) -> str:
    """The ``indexes=`` entries for multi-attribute GSIs, by the fields' Python names."""
    return ", ".join(f"{index.name!r}: {gsi_source(index, py_names)}"
                     for index in schema.indexes
                     if index.multi_attribute and set(index.key_names) <= set(py_names))


def model_source(prof: Profile, *, name: str | None = None, imports: bool = True) -> str:
    """Readable Python source for a model of the profiled table (paste it into your code)."""
    class_name = name or _class_name(prof.schema.name)
    keywords = [f"table={prof.schema.name!r}"]
    projections = _projections(prof.schema)
    if projections:
        keywords.append(f"projections={projections!r}")
    plans = _plan_fields(prof)
    declared = _declared_indexes(prof.schema, {p.attribute: p.py_name for p in plans})
    if declared:
        keywords.append(f"indexes={{{declared}}}")
    assumed = sorted(prof.always_present() - set(prof.schema.key_names))
    if assumed:  # what the sample showed, stated for the planner (see Model)
        keywords.append(f"assumed_present={assumed!r}")
    copresent = {k: sorted(v) for k, v in sorted(prof.copresent().items())}
    if copresent:
        keywords.append(f"copresent={copresent!r}")
    if copresent and len(keywords[-1]) > 80:  # one attribute a line
        keywords[-1] = "\n".join(["copresent={", *(f"        {k!r}: {v!r},"
                                                   for k, v in copresent.items()), "    }"])
    lines = []
    if imports:
        lines += ["from datetime import datetime", "from decimal import Decimal",
                  "from typing import Any", "", "import dynamorm_lab as dl", "", ""]
    header = f"class {class_name}(dl.Model, {', '.join(keywords)}):"
    if len(header) > 99 or "\n" in header:  # one keyword a line
        header = "\n".join([f"class {class_name}(", "    dl.Model,",
                            *(f"    {k}," for k in keywords), "):"])
    lines.append(header)
    today = _dt.date.today().isoformat()
    stated = ("\n\n    assumed_present and copresent state what the sample showed; the "
              "planner\n    relies on them for sparse indexes.\n    " if assumed or copresent
              else "")
    lines.append(f'    """Introspected from {prof.schema.name}: {prof.sampled} item(s) sampled on '
                 f'{today}.{stated}"""')
    lines.append("")
    for plan in plans:
        value = f" = dl.field({', '.join(plan.options)})" if plan.options else ""
        comment = f"  # in {plan.share:.0%} of sampled items" if plan.share < 1 else ""
        lines.append(f"    {plan.py_name}: {plan.annotation}{value}{comment}")
    return "\n".join(lines) + "\n"


def build_model(prof: Profile, *, name: str | None = None) -> type[Model]:
    """A working model class for the profiled table (the same as executing model_source),
    built once per sample and name."""
    built: type[Model] | None = prof.models.get(name)
    if built is not None:
        return built
    names = SimpleNamespace(Model=Model, field=field_, gsi=gsi)  # the `dl.` the source writes
    namespace: dict[str, Any] = {"dl": names, "Any": Any, "Decimal": Decimal,
                                 "datetime": _dt.datetime, "__name__": "dynamorm_lab.introspected"}
    source = model_source(prof, name=name, imports=False)
    exec(compile(source, f"<introspected {prof.schema.name}>", "exec", dont_inherit=True),
         namespace)
    model: type[Model] = namespace[name or _class_name(prof.schema.name)]
    prof.models[name] = model
    return model


def _prefix(value: Any) -> str:
    text = value.get("S", "") if isinstance(value, dict) else ""
    match = re.match(r"^(#?[A-Za-z][A-Za-z0-9_-]*#)", text)
    return match.group(1) if match else ""


def entity_groups(prof: Profile) -> dict[str, list[dict[str, Any]]]:
    """Items grouped by entity type: an entity-type attribute, else key prefixes."""
    items = prof.items
    for candidate in _ENTITY_ATTRIBUTES:
        values = [item.get(candidate, {}).get("S") for item in items]
        present = [v for v in values if v]
        if items and len(present) >= 0.9 * len(items) and 1 < len(set(present)) <= 30:
            groups: dict[str, list[dict[str, Any]]] = {}
            for item, value in zip(items, values, strict=True):
                groups.setdefault(_class_name(value or "Other"), []).append(item)
            return groups
    schema = prof.schema
    groups = {}
    for item in items:
        pk = _prefix(item.get(schema.partition.name))
        sk = _prefix(item.get(schema.sort.name)) if schema.sort else ""
        if not pk:
            return {_class_name(schema.name): items}
        same = not sk or sk == pk or "METADATA" in sk.upper()
        label = pk if same else pk + sk
        groups.setdefault(_class_name(label), []).append(item)
    return groups if len(groups) > 1 else {_class_name(schema.name): items}


def entity_models(prof: Profile) -> dict[str, type[Model]]:
    """One model per entity type of a single-table design."""
    return {name: build_model(profile_items(prof.schema, group, every_index=False), name=name)
            for name, group in entity_groups(prof).items()}


def entity_source(prof: Profile) -> str:
    """Source of every entity model, with one set of imports."""
    parts = [model_source(profile_items(prof.schema, group, every_index=False), name=name,
                          imports=(n == 0))
             for n, (name, group) in enumerate(entity_groups(prof).items())]
    return "\n\n".join(parts)


def same_fields(a: type[Model], b: type[Model]) -> bool:
    """True when two models declare the same fields, names, types and roles."""
    def shape(model: type[Model]) -> Sequence[Any]:
        return [(f.py_name, f.attr_name, f.node.describe(), tuple(f.roles))
                for f in model.__dynamorm_fields__.values()]
    return list(shape(a)) == list(shape(b)) and a.__dynamorm_schema__ == b.__dynamorm_schema__

