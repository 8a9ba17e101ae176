"""The bare stack the command path is measured against (issue 14): FastAPI on uvicorn (the services' flags),
one pydantic-validated JSON body, one asyncpg INSERT per request, a JSON answer — nothing else.

Run by bench/bare.py as ``uvicorn bench.bare_app:app`` with ``GB_BENCH_BARE_DSN`` naming a scratch database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel


class Branch(BaseModel):
    name: str
    founding_basis: str
    build_mode: str
    home_org_id: str
    host_guidance_org: str
    destination: str
    industry: str
    established_on: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(os.environ["GB_BENCH_BARE_DSN"], min_size=16, max_size=16)
    await pool.execute("CREATE TABLE IF NOT EXISTS bare_branches (id uuid PRIMARY KEY, data jsonb NOT NULL)")
    app.state.pool = pool
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/v1/branches", status_code=201)
async def establish(body: Branch, request: Request) -> Response:
    new_id = uuid.uuid4()
    await request.app.state.pool.execute("INSERT INTO bare_branches (id, data) VALUES ($1, $2::jsonb)",
                                         new_id, orjson.dumps(body.model_dump()).decode())
    return Response(orjson.dumps({"id": str(new_id)}), status_code=201, media_type="application/json")
