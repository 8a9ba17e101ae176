"""No query string reaches the access log: only the path, and a mark that a query was there."""

from __future__ import annotations

import logging

from services.kernel.http import QueryStringsOffTheAccessLog


def _line(path: str) -> str:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", path, "1.1", 200), None)
    assert QueryStringsOffTheAccessLog().filter(record)
    return record.getMessage()


def test_the_query_string_is_cut_and_the_path_kept() -> None:
    line = _line("/v1/members?phone=13812345678&page=2")
    assert "13812345678" not in line and "phone" not in line
    assert '"GET /v1/members?… HTTP/1.1" 200' in line


def test_a_line_without_a_query_is_unchanged() -> None:
    assert '"GET /v1/branches/b-1 HTTP/1.1" 200' in _line("/v1/branches/b-1")
