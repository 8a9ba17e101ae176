"""The forms: show one (pre-filled from the link that opened it), send it as the API command with the signed-in
person's token and a retry key fixed when the form was drawn (a double submit applies once), then either show
the result read at the command's position or the form again with each refusal beside its field."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.gateway.console import i18n
from services.gateway.console.forms import FORMS, Form, body, command_path, field_errors
from services.gateway.console.frame import failed, form_values, same_origin, to_sign_in
from services.gateway.console.render import page
from services.gateway.console.session import PREFIX, Viewer, call, csrf_ok, language, viewer

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _draw(request: Request, who: Viewer, form: Form, values: dict[str, str], *, status: int = 200,
          errors: dict[str, str] | None = None, general: list[str] | None = None) -> Response:
    values.setdefault("idempotency_key", uuid.uuid4().hex)
    return page(request, "form.html", who, status=status, form=form, values=values, errors=errors or {},
                general=general or [])


def _form_for(request: Request, key: str) -> tuple[Viewer, Form] | Response:
    """The signed-in person and the form ``key``; or the page that says why not (sign in, no such form)."""
    who = viewer(request)
    if who is None:
        return to_sign_in(request)
    form = FORMS.get(key)
    if form is None:
        return page(request, "error.html", who, status=404, detail=f"no form {key}", api_status=404)
    return who, form


@router.get("/forms/{key}")
async def show_form(request: Request, key: str) -> Response:
    found = _form_for(request, key)
    if isinstance(found, Response):
        return found
    who, form = found
    values = {f.name: request.query_params[f.name] for f in form.fields if f.name in request.query_params}
    if form.key == "outflow":
        values.setdefault("fixed_place", "on")
    return _draw(request, who, form, values)


@router.post("/forms/{key}")
async def submit_form(request: Request, key: str) -> Response:
    found = _form_for(request, key)
    if isinstance(found, Response):
        return found
    who, form = found
    values = await form_values(request)
    lang = language(request)
    if values is None:
        return page(request, "error.html", who, status=413, detail="the form is too large", api_status=413)
    if not same_origin(request) or not csrf_ok(request, who, values.get("csrf")):
        return _draw(request, who, form, values, status=403, general=[i18n.text("csrf_failed", lang)])
    missing = {f.name: i18n.text("required", lang) for f in form.fields
               if f.required and f.kind != "checkbox" and not values.get(f.name, "").strip()}
    if missing:
        return _draw(request, who, form, values, status=422, errors=missing, general=[i18n.text("fix_fields", lang)])
    path = command_path(form, values)
    if path is None:
        bad = {f.name: "letters, digits and _ . : - only" for f in form.fields if f.in_path}
        return _draw(request, who, form, values, status=422, errors=bad, general=[i18n.text("fix_fields", lang)])
    key_sent = values.get("idempotency_key") or uuid.uuid4().hex
    answer = await call(request, who, "POST", path, json=body(form, values), idempotency_key=key_sent[:100])
    if answer.ok and isinstance(answer.body, dict):
        return RedirectResponse(form.result(values, answer.body), status_code=303)
    if answer.status == 401:
        return to_sign_in(request)
    if isinstance(answer.body, dict) and 400 <= answer.status < 500:
        errors, general = field_errors(form, answer.body, lang)
        # A fresh retry key: the corrected form is another command, not a retry of the refused one.
        values["idempotency_key"] = uuid.uuid4().hex
        return _draw(request, who, form, values, status=answer.status, errors=errors, general=general)
    return failed(request, who, answer)
