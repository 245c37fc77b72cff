"""``manage.py match --needs needs.jsonl [--top 10]``: match needs given as JSON Lines, one answer line each.

Input, one JSON object per line (blank lines are skipped)::

    {"id": "n1", "text": "lithium cathode coating", "ipc": ["H01M 10/052"], "budget": 500000,
     "currency": "CNY", "free_only": false, "licence_kinds": ["non_exclusive"], "province": "GD"}

``id`` (string or integer) and ``text`` (string) are required; the rest is optional. Output on stdout, one line
per good input line, in input order::

    {"id": "n1", "results": [{"patent": "CN 112345678 B", "listing": 12, "score": 0.8123,
                              "reasons": ["shares IPC H01M 10/052", ...]}]}

A bad line (invalid JSON, missing or mistyped field, unknown field, bad IPC code) prints ``line N: ...`` on
stderr and the others are still answered; the exit status is then 1. ``--needs -`` reads standard input.

The input is read as bytes and each line decoded on its own (strict UTF-8), so a line that is not UTF-8 is one bad
line (``line N: not UTF-8 text``) and the lines after it are still answered. A UTF-8 byte order mark at the start
of the input is ignored. Lines end at ``\n``, ``\r\n`` or ``\r``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

from django.core.management.base import BaseCommand, CommandError

from listings.models import Currency, LicenceKind
from marketplace.actions import ActionError
from marketplace.models import Province
from matching.actions import clean_ipc_codes
from matching.scoring import match_text

FIELDS = {"id", "text", "ipc", "budget", "currency", "free_only", "licence_kinds", "province"}
BOM = "\ufeff"


class LineError(ValueError):
    pass


def parse_line(raw: str) -> dict:
    """A JSON line → keyword arguments for ``match_text`` plus ``id``; ``LineError`` says what is wrong."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LineError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise LineError("expected a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise LineError(f"unknown field(s): {', '.join(unknown)} (known: {', '.join(sorted(FIELDS))})")
    if "id" not in data:
        raise LineError("missing \"id\"")
    need_id = data["id"]
    if isinstance(need_id, bool) or not isinstance(need_id, (str, int)) or need_id == "":
        raise LineError("\"id\" must be a non-empty string or an integer")
    text = data.get("text")
    if text is None:
        raise LineError("missing \"text\"")
    if not isinstance(text, str) or not text.strip():
        raise LineError("\"text\" must be a non-empty string")
    ipc = data.get("ipc", [])
    if not isinstance(ipc, list) or not all(isinstance(c, str) for c in ipc):
        raise LineError("\"ipc\" must be a list of strings such as [\"H01M 10/052\"]")
    try:
        ipc = clean_ipc_codes(ipc)
    except ActionError as exc:
        raise LineError(f"bad IPC code: {exc}") from None
    budget = data.get("budget")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
        raise LineError("\"budget\" must be a whole number of minor units (fen, cents), at least 0")
    currency = data.get("currency", Currency.CNY)
    if currency not in Currency.values:
        raise LineError(f"\"currency\" must be one of {', '.join(Currency.values)}")
    free_only = data.get("free_only", False)
    if not isinstance(free_only, bool):
        raise LineError("\"free_only\" must be true or false")
    kinds = data.get("licence_kinds", [])
    if not isinstance(kinds, list) or any(k not in LicenceKind.values for k in kinds):
        raise LineError(f"\"licence_kinds\" must be a list of {', '.join(LicenceKind.values)}")
    province = data.get("province", "")
    if not isinstance(province, str) or (province and province not in Province.values):
        raise LineError("\"province\" must be a province code such as GD")
    return {"id": need_id, "text": text, "ipc": ipc, "budget_minor": budget, "currency": currency,
            "free_only": free_only, "licence_kinds": kinds, "province": province}


class Command(BaseCommand):
    help = (
        "Match needs read as JSON Lines (id, text, optional ipc, budget in minor units, currency, free_only, "
        "licence_kinds, province) against the browsable listings; write one JSON line per need to stdout. "
        "Bad lines are reported on stderr with their line number; the exit status is 1 if any failed."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--needs", required=True, metavar="FILE",
                            help="JSON Lines file of needs, or - for standard input.")
        parser.add_argument("--top", type=int, default=10, help="Results per need (1–200, default 10).")

    def handle(self, *args, needs, top, **options):
        if not 1 <= top <= 200:
            raise CommandError("--top must be between 1 and 200")
        if needs == "-":
            stream = options.get("stdin") or getattr(sys.stdin, "buffer", sys.stdin)
            return self._run(stream, top)
        try:
            handle = open(needs, "rb")
        except OSError as exc:
            raise CommandError(f"cannot read {needs}: {exc.strerror}") from None
        with handle:
            return self._run(handle, top)

    def _run(self, stream, top):
        failed = 0
        for number, raw in enumerate(_lines(stream), start=1):
            if isinstance(raw, bytes):
                try:
                    raw = raw.decode("utf-8")
                except UnicodeDecodeError:
                    self.stderr.write(f"line {number}: not UTF-8 text")
                    failed += 1
                    continue
            if number == 1:
                raw = raw.removeprefix(BOM)
            if not raw.strip():
                continue
            try:
                request = parse_line(raw)
            except LineError as exc:
                self.stderr.write(f"line {number}: {exc}")
                failed += 1
                continue
            need_id = request.pop("id")
            matches = match_text(request.pop("text"), **request, limit=top)
            results = [{"patent": m.patent, "listing": m.listing_id, "score": m.score, "reasons": m.reasons}
                       for m in matches]
            self.stdout.write(json.dumps({"id": need_id, "results": results}, ensure_ascii=False))
            self.stdout.flush()
        if failed:
            raise CommandError(f"{failed} line(s) could not be matched (see above)", returncode=1)


def _lines(stream) -> Iterator[bytes | str]:
    """The lines of a binary stream as bytes, without their endings (``\\n``, ``\\r\\n`` or ``\\r``, as a text
    wrapper would split them). A text stream (``stdin=`` given to ``call_command``) is already decoded: its lines
    as they are."""
    while chunk := stream.readline():
        if isinstance(chunk, bytes):
            yield from chunk.splitlines()
        else:
            yield chunk
