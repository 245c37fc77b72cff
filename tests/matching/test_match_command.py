"""``manage.py match``: output shape, bad lines reported with their numbers, exit status."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def run(tmp_path, lines, *args, stdin=None):
    out, err = StringIO(), StringIO()
    if stdin is None:
        path = tmp_path / "needs.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        needs = str(path)
    else:
        needs = "-"
    error = None
    try:
        call_command("match", "--needs", needs, *args, stdout=out, stderr=err, stdin=stdin)
    except CommandError as exc:
        error = exc
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue(), error


def test_output_shape_best_first(tmp_path, catalogue):
    answers, err, error = run(tmp_path, [
        json.dumps({"id": "n1", "text": "lithium cathode coating", "ipc": ["H01M 10/052"], "budget": 500000,
                    "currency": "CNY", "free_only": False}),
        json.dumps({"id": 7, "text": "tea leaves"}),
    ], "--top", "2")
    assert error is None and err == ""
    assert [a["id"] for a in answers] == ["n1", 7]
    first = answers[0]["results"]
    assert len(first) == 2
    assert set(first[0]) == {"patent", "listing", "score", "reasons"}
    assert first[0]["listing"] == catalogue["cathode"].pk and first[0]["patent"] == "CN 100000001 B"
    assert "shares IPC H01M 10/052" in first[0]["reasons"]
    assert first[0]["score"] >= first[1]["score"]
    assert [r["listing"] for r in answers[1]["results"]] == [catalogue["tea"].pk]


def test_bad_lines_are_reported_and_the_rest_answered(tmp_path, catalogue):
    answers, err, error = run(tmp_path, [
        json.dumps({"id": "ok1", "text": "lithium"}),
        '{"id": "broken", "text": ',
        json.dumps({"text": "no id"}),
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "t", "text": ["not", "a", "string"]}),
        json.dumps({"id": "b", "text": "lithium", "budget": "lots"}),
        json.dumps({"id": "i", "text": "lithium", "ipc": ["H01M 10/052", "nonsense"]}),
        "",
        json.dumps({"id": "ok2", "text": "ceramic separator", "free_only": True}),
        json.dumps({"id": "f", "text": "x", "free_only": "yes"}),
    ])
    assert [a["id"] for a in answers] == ["ok1", "ok2"]
    assert answers[1]["results"] == []  # the separator is not free
    lines = err.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "line 2", "line 3", "line 4", "line 5", "line 6", "line 7", "line 10"]
    assert "invalid JSON" in lines[0] and '"id"' in lines[1] and '"text"' in lines[2]
    assert "bad IPC code" in lines[5] and "nonsense" in lines[5]
    assert error is not None and error.returncode == 1


def test_reads_stdin(tmp_path, catalogue):
    answers, err, error = run(tmp_path, None, stdin=StringIO(json.dumps({"id": "s", "text": "tea"}) + "\n"))
    assert error is None and answers[0]["id"] == "s" and answers[0]["results"]


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("match", "--needs", str(tmp_path / "nope.jsonl"), stdout=StringIO(), stderr=StringIO())
