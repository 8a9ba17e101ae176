"""The county console: server-rendered pages in Simplified Chinese (English as a switch) for the people who do
the work, a client of the gateway's own API with the signed-in person's token; and the API docs' pages with
their Swagger UI and Redoc files served from this machine."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from services.gateway.console import entry, frame, lists, reports

STATIC = Path(__file__).parent / "static"
#: The docs pages load nothing from elsewhere: Redoc's footer logo points at its CDN, and the browser is told not to
#: fetch it (FastAPI's pages start Swagger UI and Redoc with an inline script, hence 'unsafe-inline' here only).
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
               "frame-ancestors 'none'")
#: Swagger UI (Apache-2.0) and Redoc (MIT) as the fastapi-offline package ships them (docs/console.md).
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the console under /console and serve /docs and /redoc with local assets (the app is created with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not there)."""
    for module in (frame, lists, reports, entry):
        app.include_router(module.router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(openapi_url=f"{root}/openapi.json", title=f"{app.title} — Swagger UI",
                                   swagger_js_url=f"{root}/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}/docs-assets/swagger-ui.css",
                                   swagger_favicon_url=f"{root}/docs-assets/favicon.png")
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(openapi_url=f"{root}/openapi.json", title=f"{app.title} — Redoc",
                              redoc_js_url=f"{root}/docs-assets/redoc.standalone.js",
                              redoc_favicon_url=f"{root}/docs-assets/favicon.png", with_google_fonts=False)
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    @app.get("/console/", include_in_schema=False)
    async def console_slash() -> RedirectResponse:
        return RedirectResponse("/console", status_code=308)
