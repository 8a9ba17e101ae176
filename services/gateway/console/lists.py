"""Every list of the console: filter, page and export (CSV or Excel) through the API's own list, so a list and
its export hold exactly the rows the API gives the signed-in person with those filters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.console import exports, i18n
from services.gateway.console.frame import branch_names, failed, to_sign_in
from services.gateway.console.render import HEADERS, page
from services.gateway.console.session import PREFIX, Viewer, call, language, viewer
from services.gateway.console.views import LISTS, ListView, pick

router = APIRouter(prefix=PREFIX, include_in_schema=False)
#: An export pages through the API up to this many rows (a county's lists are far shorter).
EXPORT_LIMIT = 20_000


def _filters(view: ListView, request: Request) -> dict[str, str]:
    """The view's filters as the request gives them; anything else in the query is not passed on."""
    return {f.param: request.query_params[f.param] for f in view.filters if request.query_params.get(f.param)}


def cells(view: ListView, item: dict[str, Any], lang: i18n.Lang) -> list[str]:
    return [i18n.value(pick(item, c.path), lang) if c.kind == "value" else str(pick(item, c.path) or "")
            for c in view.columns]


def _not_found(request: Request, who: Viewer) -> Response:
    return page(request, "error.html", who, status=404, detail=f"no list {request.url.path}", api_status=404)


@router.get("/lists/{key}")
async def list_page(request: Request, key: str) -> Response:
    who = viewer(request)
    if who is None:
        return to_sign_in(request)
    view = LISTS.get(key)
    if view is None:
        return _not_found(request, who)
    filters = _filters(view, request)
    params: dict[str, Any] = {**filters, "limit": view.page_size, "cursor": request.query_params.get("cursor"),
                              "min_position": request.query_params.get("min_position")}
    answer = await call(request, who, "GET", view.path, params=params)
    if not answer.ok:
        if answer.status == 422:  # a bad filter: show the form again with the API's words
            return page(request, "list.html", who, status=422, view=view, items=[], filters=filters,
                        next_cursor=None, problem=answer.body, cells=cells, names={})
        return failed(request, who, answer)
    names = await branch_names(request, who) if any(c.kind == "org" for c in view.columns) else {}
    return page(request, "list.html", who, view=view, items=answer.body.get("items", []), filters=filters,
                next_cursor=answer.body.get("next_cursor"), problem=None, cells=cells, names=names)


@router.get("/lists/{key}/export")
async def export(request: Request, key: str, format: str = "csv") -> Response:
    """The whole filtered list as a file, every page of it, with the headings in the chosen language."""
    who = viewer(request)
    if who is None:
        return to_sign_in(request)
    view = LISTS.get(key)
    if view is None or format not in ("csv", "xlsx"):
        return _not_found(request, who)
    lang = language(request)
    filters = _filters(view, request)
    rows: list[list[str]] = []
    cursor: str | None = None
    while len(rows) < EXPORT_LIMIT:
        answer = await call(request, who, "GET", view.path, params={**filters, "limit": 500, "cursor": cursor})
        if not answer.ok:
            return failed(request, who, answer)
        rows += [cells(view, item, lang) for item in answer.body.get("items", [])]
        cursor = answer.body.get("next_cursor")
        if not cursor:
            break
    headings = [i18n.text(c.key, lang) for c in view.columns]
    title = i18n.text(view.key, lang)
    if format == "csv":
        content, media = exports.to_csv(headings, rows), exports.CSV_TYPE
    else:
        content, media = exports.to_xlsx(title, headings, rows), exports.XLSX_TYPE
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{view.key}.{format}"'}
    return Response(content, media_type=media, headers=headers)
