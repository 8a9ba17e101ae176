"""Rendering a console page: the Jinja2 environment (autoescaped), the words of the chosen language, the menu
of the signed-in role, and the headers every page carries (no script or style from anywhere but here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.gateway.console import i18n
from services.gateway.console.forms import FORMS
from services.gateway.console.session import PREFIX, Viewer, csrf_token, language
from services.gateway.console.views import visible_lists
from services.pure.identity import Role

HERE = Path(__file__).parent
_ENV = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)
#: Only the console's own files: no CDN, no inline script (the print button is wired in static/console.js).
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # frame-ancestors above, for browsers that predate it: no page of personal data inside another site's frame.
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
REPORTS_FOR: dict[str, tuple[Role, ...]] = {
    "targets": (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE),
    "funnel": (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, Role.BRANCH_SECRETARY),
    "year_end": (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE),
}


def menu(who: Viewer) -> list[tuple[str, str]]:
    """(word key, href) of what the role may open; the API still refuses whatever the token does not reach."""
    role = who.actor.role
    items = [("home", PREFIX)]
    items += [(key, f"{PREFIX}/{key.replace('_', '-')}") for key, roles in REPORTS_FOR.items() if role in roles]
    items += [(view.key, f"{PREFIX}/lists/{view.key}") for view in visible_lists(role)]
    if role is Role.BRANCH_SECRETARY and who.actor.org_id:
        items.append(("ledger", f"{PREFIX}/organisations/{who.actor.org_id}/ledger"))
    return items


def forms_for(who: Viewer) -> list[str]:
    return [key for key, form in FORMS.items() if who.actor.role in form.roles]


def page(request: Request, template: str, who: Viewer | None, status: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)

    def t(key: str) -> str:
        return i18n.text(key, lang)

    def v(raw: object) -> str:
        return i18n.value(raw, lang)

    def with_query(**changes: Any) -> str:
        query = dict(request.query_params)
        query.update({k: str(val) for k, val in changes.items() if val is not None})
        for k, val in changes.items():
            if val is None:
                query.pop(k, None)
        query.pop("min_position", None)
        return f"{request.url.path}?{urlencode(query)}"

    html = _ENV.get_template(template).render(
        t=t, v=v, lang=lang, who=who, prefix=PREFIX, request=request, with_query=with_query,
        menu=menu(who) if who else [], forms=forms_for(who) if who else [],
        csrf=csrf_token(request, who) if who else "", here=str(request.url.path) + (
            f"?{request.url.query}" if request.url.query else ""),
        **context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)
