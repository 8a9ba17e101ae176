"""The console's pure parts: form bodies and errors by field, exports, charts, the word table, and what its lists ask
of the API."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from openpyxl import load_workbook

from services.gateway.app import create_app
from services.gateway.console import charts, exports, i18n
from services.gateway.console.forms import FORMS, body, command_path, field_errors
from services.gateway.console.views import LISTS, pick

TEMPLATES = Path(__file__).resolve().parents[3] / "services" / "gateway" / "console" / "templates"


def test_an_outflow_form_becomes_the_command_body_with_the_phone_inside_the_contact() -> None:
    values = {"member_id": "m-1", "destination": " Suzhou ", "employer": "Works", "phone": "+86 139",
              "left_on": "2026-11-20", "expected_months": "8", "fixed_place": "on", "backdating_reason": ""}
    assert body(FORMS["outflow"], values) == {
        "destination": "Suzhou", "employer": "Works", "contact": {"phone": "+86 139"}, "left_on": "2026-11-20",
        "expected_months": 8, "fixed_place": True}
    assert command_path(FORMS["outflow"], values) == "/v1/members/m-1/outflows"


def test_an_unchecked_box_is_false_and_lists_split_on_lines_and_commas() -> None:
    values = {"org_id": "b-1", "kind": "general_meeting", "held_on": "2026-11-01", "present_ids": "a\nb, c，d",
              "minutes_ref": "M-1"}
    sent = body(FORMS["meeting"], values)
    assert sent["present_ids"] == ["a", "b", "c", "d"] and "absent_ids" not in sent
    assert body(FORMS["outflow"], {"member_id": "m"})["fixed_place"] is False


def test_a_path_value_that_is_not_an_id_is_never_put_into_the_command_s_path() -> None:
    assert command_path(FORMS["outflow"], {"member_id": "../tokens"}) is None
    assert command_path(FORMS["transfer_letter"], {"member_id": "m-1", "transfer_id": ""}) is None


def test_the_api_s_errors_stand_beside_the_inputs_they_name() -> None:
    problem = {"detail": "fix these fields", "errors": [
        {"field": "contact.phone", "message": "too short"}, {"field": "months.0", "message": "not a month"},
        {"field": "somewhere_else", "message": "odd"}]}
    by_field, general = field_errors(FORMS["outflow"], problem)
    assert by_field == {"phone": "too short"} and general == ["months.0: not a month", "somewhere_else: odd"]
    by_field, _ = field_errors(FORMS["payment"], problem)
    assert by_field["months"] == "not a month"


def test_validation_errors_read_in_chinese_with_the_rules_numbers_and_a_rules_own_sentence_stays() -> None:
    problem = {"errors": [
        {"field": "contact.phone", "message": "String should have at least 5 characters", "type": "string_too_short",
         "limits": {"min_length": 5}},
        {"field": "expected_months", "message": "Input should be less than or equal to 120",
         "type": "less_than_equal", "limits": {"le": 120}},
        {"field": "employer", "message": "Field required", "type": "missing"},
        {"field": "destination", "message": "a destination names a place", "type": "domain"},
        {"field": "left_on", "message": "odd", "type": "string_too_long"}]}  # no limits sent: the API's words
    by_field, _ = field_errors(FORMS["outflow"], problem, "zh")
    assert by_field == {"phone": "至少 5 个字符", "expected_months": "不能大于 120", "employer": "必填",
                        "destination": "a destination names a place", "left_on": "odd"}
    assert field_errors(FORMS["outflow"], problem, "en")[0]["phone"] == "String should have at least 5 characters"


def test_a_refusal_that_names_no_field_is_shown_above_the_form() -> None:
    assert field_errors(FORMS["payment"], {"detail": "an organisation never pays for a member"}) == (
        {}, ["an organisation never pays for a member"])


def test_a_csv_export_opens_in_a_spreadsheet_with_chinese_and_no_formula() -> None:
    data = exports.to_csv(["姓名", "党员编号"], [["李伟", "m-1"], ["=HYPERLINK(1)", "m-2"]])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["姓名", "党员编号"], ["李伟", "m-1"], ["'=HYPERLINK(1)", "m-2"]]


def test_an_excel_export_holds_the_same_rows() -> None:
    data = exports.to_xlsx("党员名册", ["姓名", "党员编号"], [["李伟", "m-1"]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None and sheet.title == "党员名册"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["姓名", "党员编号"], ["李伟", "m-1"]]


def test_a_chart_escapes_its_labels_and_draws_one_bar_per_item() -> None:
    svg = str(charts.bars("5 % <target>", [charts.Bar(label="a<b", value=3, target=3, status="met"),
                                           charts.Bar(label="c", value=1, target=2, status="open")]))
    assert svg.count("<rect") == 2 and "a&lt;b" in svg and "<target>" not in svg
    assert "<title" in svg and 'role="img"' in svg


def test_a_dotted_path_reads_nested_values_and_missing_steps_are_none() -> None:
    item = {"outflow": {"destination": "Suzhou"}, "away": True}
    assert pick(item, "outflow.destination") == "Suzhou" and pick({"outflow": None}, "outflow.destination") is None


def test_every_word_the_pages_use_is_in_both_languages() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_.]+)'\)", template.read_text()))
    used |= {view.key for view in LISTS.values()} | {c.key for view in LISTS.values() for c in view.columns}
    used |= {f.label for view in LISTS.values() for f in view.filters}
    used |= {f"form.{key}" for key in FORMS} | {f"field.{f.name}" for form in FORMS.values() for f in form.fields}
    missing = sorted(key for key in used if key not in i18n.WORDS)
    assert not missing, missing
    assert all(zh and en and zh != en for zh, en in i18n.WORDS.values() if not zh.isascii())


def test_values_read_as_words() -> None:
    assert i18n.value(True, "zh") == "是" and i18n.value(False, "en") == "no"
    assert i18n.value("met", "zh") == "达标" and i18n.value("unknown_stage", "zh") == "unknown_stage"
    assert i18n.value(None, "zh") == ""


def test_every_list_asks_the_api_only_for_parameters_its_operation_takes() -> None:
    """The API refuses a query parameter an operation does not take (services/gateway/query_names.py): a list whose
    filter the API renamed would show the person a refusal on every page, so each view's filters, with the paging
    and read-your-writes parameters every list sends, must be among its operation's."""
    paths = create_app().openapi()["paths"]
    for key, view in LISTS.items():
        taken = {p["name"] for p in paths[view.path]["get"].get("parameters", []) if p["in"] == "query"}
        sent = {f.param for f in view.filters} | {"limit", "cursor", "min_position"}
        assert sent <= taken, f"list {key} ({view.path}) sends {sorted(sent - taken)}, which it does not take"
