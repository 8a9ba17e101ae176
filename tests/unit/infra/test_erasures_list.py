"""``./gb restore --erasures-from FILE`` (infra/erasures.py ``read_listed``): the member ids of the persons the county
erased since the backup, one per line; anything else is refused by its line number, never repeated."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.erasures import NotReapplied, read_listed


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "erased.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_member_ids_one_per_line_with_comments_and_blank_lines(tmp_path: Path) -> None:
    text = "# 2026-11 erasure register\nm-0042\n\n  m-0007  # 张三, PIPL request\nm-0042\n"
    assert read_listed(_file(tmp_path, text)) == ["m-0007", "m-0042"]


def test_an_empty_file_names_no_one(tmp_path: Path) -> None:
    assert read_listed(_file(tmp_path, "# no erasure since the backup\n")) == []


@pytest.mark.parametrize("line", ["110101199003074514", "13812345678", "m 0042", "张三", "../m-1", "m-1;DROP"])
def test_a_line_that_is_no_member_id_is_refused_by_its_number_never_repeated(tmp_path: Path, line: str) -> None:
    with pytest.raises(NotReapplied) as refused:
        read_listed(_file(tmp_path, f"m-0001\n{line}\n"))
    assert "line(s) 2 " in str(refused.value)
    assert line not in str(refused.value)


def test_a_file_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotReapplied, match="cannot be read"):
        read_listed(tmp_path / "missing.txt")
