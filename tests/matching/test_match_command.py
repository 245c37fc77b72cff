"""``manage.py match``: output shape, bad lines reported with their numbers, exit status."""

from __future__ import annotations

import io
import json
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def run(tmp_path, lines, *args, stdin=None):
    """Run the command on ``lines`` (str, or bytes written as they are) joined by newlines, or on ``stdin``.
    Returns (answers, stderr text, CommandError or None)."""
    out, err = StringIO(), StringIO()
    if stdin is None:
        path = tmp_path / "needs.jsonl"
        path.write_bytes(b"".join((line.encode() if isinstance(line, str) else line) + b"\n" for line in lines))
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


def need(need_id, text="lithium", **fields):
    return json.dumps({"id": need_id, "text": text, **fields})


def test_a_line_that_is_not_utf8_is_one_bad_line_and_the_rest_are_answered(tmp_path, catalogue):
    answers, err, error = run(tmp_path, [
        need("l1", "lithium cathode coating"),
        need("l2", "ceramic separator"),
        b'{"id": "l3", "text": "caf\xe9 lithium"}',  # Latin-1 é
        need("l4", "tea leaves"),
        need("l5", "solid electrolyte"),
    ])
    assert [a["id"] for a in answers] == ["l1", "l2", "l4", "l5"]
    assert answers[0]["results"][0]["listing"] == catalogue["cathode"].pk
    assert [r["listing"] for r in answers[2]["results"]] == [catalogue["tea"].pk]
    assert answers[3]["results"][0]["listing"] == catalogue["electrolyte"].pk
    assert err.splitlines() == ["line 3: not UTF-8 text"]
    assert error is not None and error.returncode == 1


def test_a_byte_order_mark_at_the_start_is_ignored(tmp_path, catalogue):
    answers, err, error = run(tmp_path, [b"\xef\xbb\xbf" + need("b1", "tea leaves").encode(), need("b2")])
    assert error is None and err == ""
    assert [a["id"] for a in answers] == ["b1", "b2"]
    assert [r["listing"] for r in answers[0]["results"]] == [catalogue["tea"].pk]


def test_windows_line_endings_keep_the_line_numbers(tmp_path, catalogue):
    path = tmp_path / "needs.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([need("w1"), "[1]", need("w3", "tea")]).encode() + b"\r\n")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("match", "--needs", str(path), stdout=out, stderr=err)
    assert raised.value.returncode == 1
    assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == ["w1", "w3"]
    assert err.getvalue().splitlines() == ["line 2: expected a JSON object"]


def test_standard_input_is_read_as_bytes_line_by_line(catalogue, monkeypatch):
    data = b"\xef\xbb\xbf" + need("s1", "tea").encode() + b"\n\xff\xfe\n" + need("s3").encode() + b"\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("match", "--needs", "-", stdout=out, stderr=err)
    assert raised.value.returncode == 1
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a["id"] for a in answers] == ["s1", "s3"]
    assert [r["listing"] for r in answers[0]["results"]] == [catalogue["tea"].pk]
    assert err.getvalue().splitlines() == ["line 2: not UTF-8 text"]


BUDGET = '"budget" must be a whole number of minor units (fen, cents), at least 0'


@pytest.mark.parametrize("bad, message", [
    (need("neg", budget=-1), BUDGET),
    (need("float", budget=1000.5), BUDGET),
    (need("bool", budget=True), BUDGET),
    (need("cur", budget=1000, currency="GBP"), '"currency" must be one of CNY, USD, EUR'),
    (need("unk", colour="blue"),
     "unknown field(s): colour (known: budget, currency, free_only, id, ipc, licence_kinds, province, text)"),
    (json.dumps([{"id": "arr", "text": "lithium"}]), "expected a JSON object"),
    (json.dumps({"id": True, "text": "lithium"}), '"id" must be a non-empty string or an integer'),
], ids=["negative-budget", "float-budget", "boolean-budget", "unknown-currency", "unknown-field", "array",
        "boolean-id"])
def test_bad_input_names_its_line_and_the_run_goes_on(tmp_path, catalogue, bad, message):
    answers, err, error = run(tmp_path, [need("before"), "", bad, need("after", "tea leaves")])
    assert [a["id"] for a in answers] == ["before", "after"]
    assert [r["listing"] for r in answers[1]["results"]] == [catalogue["tea"].pk]
    assert err.splitlines() == [f"line 3: {message}"]
    assert error is not None and error.returncode == 1


@pytest.mark.parametrize("top", ["0", "-1", "201"])
def test_top_out_of_range_is_refused_before_reading(tmp_path, top):
    out = StringIO()
    with pytest.raises(CommandError, match="^--top must be between 1 and 200$"):
        call_command("match", "--needs", str(tmp_path / "not-read.jsonl"), "--top", top, stdout=out,
                     stderr=StringIO())
    assert out.getvalue() == ""


def test_top_200_is_allowed(tmp_path, catalogue):
    answers, err, error = run(tmp_path, [need("t")], "--top", "200")
    assert error is None and err == "" and answers[0]["id"] == "t"
