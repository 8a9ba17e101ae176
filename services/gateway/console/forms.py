"""The everyday commands as forms: each form's fields, the command it sends, and the page that then shows
the result (read with the command's ``position`` as ``min_position``, so the page never shows the old state).

A refused command's problem+json ``errors[]`` name fields by their path in the body (``contact.phone``); each
form maps those paths back to its own inputs, so the message stands beside the field it names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from services.pure.identity import Role

KEEPERS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, Role.BRANCH_SECRETARY)


@dataclass(frozen=True, kw_only=True)
class Field:
    name: str
    kind: Literal["text", "date", "number", "select", "checkbox", "lines", "month"] = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    #: Where this input goes in the command's body (dotted; default: its name).
    body_path: str | None = None
    #: Part of the command's path, not its body.
    in_path: bool = False


@dataclass(frozen=True, kw_only=True)
class Form:
    key: str
    roles: tuple[Role, ...]
    fields: tuple[Field, ...]
    path: str  # the command's path, with {field} placeholders
    #: Where the result is shown: a console path built from the form's values and the command's answer.
    result: Callable[[Mapping[str, str], Mapping[str, Any]], str]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def _lines(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,，、]+", text) if part]


def body(form: Form, values: Mapping[str, str]) -> dict[str, Any]:
    """The command's JSON body from the submitted values: empty optional inputs are left out (the API's
    defaults apply), lists are split on lines or commas, numbers stay text for the API to check."""
    out: dict[str, Any] = {}
    for f in form.fields:
        if f.in_path:
            continue
        raw = values.get(f.name, "")
        if f.kind == "checkbox":
            value: Any = raw in ("on", "true", "1")
        elif f.kind == "lines":
            value = _lines(raw)
            if not value and not f.required:
                continue
        else:
            value = raw.strip()
            if value == "" and not f.required:
                continue
            # Only a plainly sized integer: int() raises beyond 4300 digits (that was a 500). The rest goes as
            # text, for the API to refuse beside the field.
            if f.kind == "number" and re.fullmatch(r"-?[0-9]{1,18}", value):
                value = int(value)
        target = out
        *parents, leaf = (f.body_path or f.name).split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return out


#: The API's validation errors by their type, in the county's words; ``{name}`` is one of the error's ``limits``.
CHINESE: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_pattern_mismatch": "格式不对",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "int_parsing": "请填整数",
    "int_from_float": "请填整数",
    "decimal_parsing": "请填数字",
    "float_parsing": "请填数字",
    "bool_parsing": "请选择是或否",
    "date_parsing": "请填日期（年-月-日）",
    "date_from_datetime_parsing": "请填日期（年-月-日）",
    "date_from_datetime_inexact": "请填日期（年-月-日）",
    "literal_error": "请从 {expected} 中选择",
    "enum": "请从 {expected} 中选择",
    "extra_forbidden": "不认识这一项",
    "string_type": "请填文字",
}


def in_words(error: Mapping[str, Any], lang: str) -> str:
    """An error's message in ``lang``: the Chinese for its type when there is one, else the API's own message."""
    message = str(error.get("message") or "")
    template = CHINESE.get(str(error.get("type") or "")) if lang == "zh" else None
    if template is None:
        return message
    try:
        return template.format(**(error.get("limits") or {}))
    except (KeyError, IndexError, ValueError):
        return message


def field_errors(form: Form, problem: Mapping[str, Any], lang: str = "en") -> tuple[dict[str, str], list[str]]:
    """The problem's messages by the form's input names, and those that name no input (shown above the form);
    validation errors in the page's language (a rule's own sentence stays as the API says it)."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    paths = {(f.body_path or f.name): f.name for f in form.fields}
    for error in problem.get("errors") or []:
        if not isinstance(error, dict):
            continue
        where = str(error.get("field") or "")
        message = in_words(error, lang)
        name = paths.get(where) or paths.get(where.split(".")[0]) or paths.get(re.sub(r"\.\d+$", "", where))
        if name:
            by_field[name] = f"{by_field[name]}; {message}" if name in by_field else message
        else:
            general.append(f"{where}: {message}" if where else message)
    detail = str(problem.get("detail") or problem.get("title") or "")
    if detail and not by_field:
        general.insert(0, detail)
    return by_field, general


FORMS: dict[str, Form] = {f.key: f for f in (
    Form(
        key="outflow", roles=KEEPERS, path="/v1/members/{member_id}/outflows",
        fields=(Field(name="member_id", required=True, in_path=True), Field(name="destination", required=True),
                Field(name="employer", required=True), Field(name="phone", required=True, body_path="contact.phone"),
                Field(name="left_on", kind="date", required=True),
                Field(name="expected_months", kind="number", required=True),
                Field(name="fixed_place", kind="checkbox"), Field(name="backdating_reason")),
        result=lambda v, a: f"/console/members/{v['member_id']}?min_position={a.get('position', '')}",
    ),
    Form(
        key="meeting", roles=KEEPERS, path="/v1/meetings",
        fields=(Field(name="org_id", required=True),
                Field(name="kind", kind="select", required=True,
                      choices=("general_meeting", "committee", "party_group", "theme_day",
                               "organisational_life_meeting", "democratic_appraisal", "party_lecture", "talk")),
                Field(name="held_on", kind="date", required=True), Field(name="topic"),
                Field(name="present_ids", kind="lines", required=True), Field(name="absent_ids", kind="lines"),
                Field(name="minutes_ref", required=True), Field(name="backdating_reason")),
        result=lambda v, a: (f"/console/organisations/{v['org_id']}/meetings?year={v['held_on'][:4]}"
                             f"&min_position={a.get('position', '')}"),
    ),
    Form(
        key="transfer_letter", roles=(Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, Role.HOST_ORGANISATION),
        path="/v1/members/{member_id}/transfers/{transfer_id}/approval",
        fields=(Field(name="member_id", required=True, in_path=True),
                Field(name="transfer_id", required=True, in_path=True),
                Field(name="letter_number", required=True),
                Field(name="channel", kind="select", required=True,
                      choices=("national_online", "provincial_online", "paper")),
                Field(name="issued_on", kind="date", required=True),
                Field(name="dues_paid_up_to", kind="month", required=True), Field(name="backdating_reason")),
        result=lambda v, a: f"/console/lists/transfers?state=in_progress&min_position={a.get('position', '')}",
    ),
    Form(
        key="payment", roles=(*KEEPERS, Role.HOST_ORGANISATION), path="/v1/members/{member_id}/dues/payments",
        fields=(Field(name="member_id", required=True, in_path=True), Field(name="months", kind="lines",
                                                                            required=True),
                Field(name="amount", required=True), Field(name="extra"), Field(name="paid_on", kind="date",
                                                                                required=True),
                Field(name="payer_kind", kind="select", choices=("member", "proxy")), Field(name="payer_name"),
                Field(name="branch_consent", kind="checkbox"), Field(name="backdating_reason")),
        result=lambda v, a: f"/console/members/{v['member_id']}/dues?min_position={a.get('position', '')}",
    ),
)}


def command_path(form: Form, values: Mapping[str, str]) -> str | None:
    """The command's path with the form's path values, or None when one is missing or not an id."""
    params = {}
    for f in form.fields:
        if f.in_path:
            value = values.get(f.name, "").strip()
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}", value):
                return None
            params[f.name] = value
    return form.path.format(**params)
