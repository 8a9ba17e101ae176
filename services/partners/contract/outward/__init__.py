"""The outward events: what partners receive, as a published, versioned schema per type.

An outward type is its own dataclass with a stable name (``goldenbridge.<area>.<event>.v<n>``), mapped
from one or more internal events. Internal events stay free to change: only the mapping follows them,
and a partner's schema changes only as a new version. Fields that describe a person are marked
``Personal`` and are nulled or masked by the partner's policy (values.PersonalDataPolicy).

The types themselves are listed in ``catalogue`` (``CATALOGUE`` by name, ``outward(event)``).
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_type_hints

from pydantic import TypeAdapter

from services.partners.contract.values import PersonalDataPolicy

I = TypeVar("I")  # noqa: E741 - the internal event
O = TypeVar("O")  # noqa: E741 - the outward event

#: Where the served schemas live, relative to the public API's base URL.
SCHEMA_PATH = "/v1/schemas/{type}.json"


@dataclass(frozen=True)
class Personal:
    """Marks a field about a person: ``Annotated[str | None, Personal(mask_name)]``. ``mask`` gives the
    value a ``masked`` partner sees (None: the value is already masked at the source)."""

    mask: Callable[[str], str] | None = None


def mask_name(name: str) -> str:
    """张三丰 → 张**: the first character shows who is meant to someone who knows, and no one else."""
    return name[:1] + "*" * max(len(name) - 1, 1)


@dataclass(frozen=True, kw_only=True)
class OutwardType(Generic[I, O]):
    """One published event type: its schema, what it is made from, its subject and its places."""

    type: str
    summary: str
    schema: builtins.type[O]
    #: The internal event classes it is made from, each with its mapping.
    sources: tuple[tuple[builtins.type[Any], Callable[[Any], O]], ...]
    #: The public subject (``member/<id>``): one order per subject.
    subject: Callable[[O], str]
    #: The organisations the event is about (a scope's organisations and townships are matched against
    #: these and their ancestors).
    places: Callable[[O], tuple[str, ...]]
    example: O

    @property
    def version(self) -> int:
        return int(self.type.rsplit(".v", 1)[1])

    def json_schema(self) -> dict[str, Any]:
        return schema_of(self.schema, self.type, self.summary)

    def personal_fields(self) -> dict[str, Personal]:
        return personal_fields(self.schema)


_PERSONAL: dict[type[Any], dict[str, Personal]] = {}
_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def personal_fields(schema: type[Any]) -> dict[str, Personal]:
    if schema in _PERSONAL:
        return _PERSONAL[schema]
    hints = get_type_hints(schema, include_extras=True)
    marked: dict[str, Personal] = {}
    for name, hint in hints.items():
        for extra in getattr(hint, "__metadata__", ()):
            if isinstance(extra, Personal):
                marked[name] = extra
    _PERSONAL[schema] = marked
    return marked


def _adapter(schema: type[Any]) -> TypeAdapter[Any]:
    if schema not in _ADAPTERS:
        _ADAPTERS[schema] = TypeAdapter(schema)
    return _ADAPTERS[schema]


def schema_of(schema: type[Any], type_name: str, summary: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of an outward type's ``data``; personal fields say so."""
    out = dict(_adapter(schema).json_schema())
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = type_name
    out["description"] = summary
    for name in personal_fields(schema):
        prop = out.get("properties", {}).get(name)
        if prop is not None:
            prop["x-gb-personal"] = True
    return out


def data_of(event: Any, policy: PersonalDataPolicy) -> dict[str, Any]:
    """The outward event as JSON-ready data, with ``policy`` applied to its personal fields."""
    data: dict[str, Any] = _adapter(type(event)).dump_python(event, mode="json")
    for name, personal in personal_fields(type(event)).items():
        value = data.get(name)
        if value is None:
            continue
        if policy is PersonalDataPolicy.NONE:
            data[name] = None
        elif personal.mask is not None:
            data[name] = personal.mask(value)
    return data


def replace(event: O, **changes: Any) -> O:
    return dataclasses.replace(event, **changes)  # type: ignore[type-var]
