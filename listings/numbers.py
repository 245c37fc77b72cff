"""Normalisation of patent numbers and IPC/CPC codes to one canonical form.

Patent numbers: ``CN112345678B``, ``cn 112345678 b`` → office ``CN``, number ``112345678``,
kind ``B`` (shown as ``CN 112345678 B``); ``US 10,123,456 B2`` → ``US 10123456 B2``;
``ZL201010110545.X`` and ``CN201010110545.X`` → ``CN 201010110545.X``.

Every office keeps its digits as the office prints them, leading zeros included (``JP 0012345``,
``WO 0012345`` for WO 00/12345), with two exceptions: EP publication numbers always have 7 digits
(``EP 783622 B1`` → ``EP 0783622 B1``, as the EPO prints it) and US grant numbers drop the zeros
that DOCDB pads them with (``US05521985`` → ``US 5521985``, as the USPTO prints it). A number needs
at least 4 digits (so that ``CO2`` or ``MP3`` in a search box is not a patent number). Offices are
the two-letter codes of WIPO Standard ST.3 (``listings/offices.py``).

IPC/CPC codes: ``H01M10/052``, ``h01m 10/052``, ``H01M0010052000`` (WIPO's 14-character form)
→ ``H01M 10/052``; a subclass alone (``C12N``) stays ``C12N``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from listings import offices

OFFICES = offices.codes()  # every ST.3 code (UA, VN, BX, XN...)
MIN_DIGITS = 4
EP_DIGITS = 7  # EP publication numbers: EP0783622

_NUMBER = re.compile(r"(?P<office>[A-Z]{2})(?P<body>(?:RE|PP|[DHT])?\d[\d.]*X?)(?P<kind>[A-Z]\d?)?")
_OTHER = re.compile(r"(?P<office>[A-Z]{2})-?(?P<body>(?=[A-Z-]*\d)[A-Z0-9][A-Z0-9-]{2,62})")
_IPC_FULL = re.compile(r"(?P<sub>[A-HY]\d\d[A-Z])\s*(?P<group>\d{1,4})\s*/\s*(?P<subgroup>\d{1,6})")
_IPC_WIPO14 = re.compile(r"(?P<sub>[A-HY]\d\d[A-Z])(?P<group>\d{4})(?P<subgroup>\d{6})")
_IPC_SUBCLASS = re.compile(r"[A-HY]\d\d[A-Z]")
_IPC_PREFIX = re.compile(r"[A-HY](\d{1,2}([A-Z](\s*\d{1,4}(/\d{0,6})?)?)?)?")


@dataclass(frozen=True)
class PatentNumber:
    office: str
    number: str
    kind: str = ""

    def __str__(self):
        return " ".join(p for p in (self.office, self.number, self.kind) if p)


def normalise_number(raw: str, default_office: str | None = None) -> PatentNumber:
    """Raises ``ValueError`` with a message saying what is wrong with the number."""
    if raw is None or not str(raw).strip():
        raise ValueError(_("the patent number is empty"))
    compact = re.sub(r"[\s,/]", "", str(raw)).upper()
    if compact.startswith("ZL"):  # Chinese patent certificate numbers
        compact = "CN" + compact[2:]
    if default_office and compact[:1].isdigit():
        compact = default_office.strip().upper() + compact
    # EP application numbers are often written with a hyphen between digits: EP0473-8766.7
    match = _NUMBER.fullmatch(compact) or _NUMBER.fullmatch(re.sub(r"(?<=\d)-(?=\d)", "", compact))
    if match and match["office"] in OFFICES and _digits(match["body"]) >= MIN_DIGITS:
        return PatentNumber(match["office"], office_digits(match["office"], match["body"]), match["kind"] or "")
    match = _OTHER.fullmatch(compact)
    if match and match["office"] in OFFICES and _digits(match["body"]) >= MIN_DIGITS:
        return PatentNumber(match["office"], match["body"], "")
    if compact[:2].isalpha() and compact[:2] not in OFFICES and compact[2:3].isdigit():
        raise ValueError(_("unknown patent office '%(office)s' in '%(value)s'") % {"office": compact[:2], "value": raw})
    raise ValueError(_("'%(value)s' is not a patent number (expected e.g. CN 112345678 B or US 10,123,456 B2)")
                     % {"value": raw})


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def office_digits(office: str, body: str) -> str:
    """The number part as the office prints it (see the module docstring)."""
    if not body.isdigit():
        return body
    if office == "US":
        return body.lstrip("0") or "0"
    if office == "EP" and len(body) < EP_DIGITS:
        return body.zfill(EP_DIGITS)
    return body


@dataclass(frozen=True)
class IPCCode:
    subclass: str  # "H01M"
    group: int | None = None  # 10
    subgroup: str = ""  # "052"

    @property
    def section(self) -> str:
        return self.subclass[0]

    @property
    def ipc_class(self) -> str:
        return self.subclass[:3]

    @property
    def main_group(self) -> str:
        return f"{self.subclass} {self.group}/00" if self.group is not None else ""

    def __str__(self):
        if self.group is None:
            return self.subclass
        return f"{self.subclass} {self.group}/{self.subgroup}"


def _subgroup(digits: str) -> str:
    digits = digits.rstrip("0")
    return digits.ljust(2, "0")


def normalise_ipc(raw: str) -> IPCCode:
    """Raises ``ValueError`` for anything that is not an IPC/CPC code."""
    text = (raw or "").strip().upper()
    if not text:
        raise ValueError(_("the IPC code is empty"))
    match = _IPC_WIPO14.fullmatch(text.replace(" ", ""))
    if match is None:
        match = _IPC_FULL.fullmatch(text)
    if match is not None:
        return IPCCode(match["sub"], int(match["group"]), _subgroup(match["subgroup"]))
    if _IPC_SUBCLASS.fullmatch(text):
        return IPCCode(text)
    raise ValueError(_("unknown IPC format '%(value)s' (expected e.g. H01M 10/052 or H01M)") % {"value": raw})


def ipc_prefix(query: str) -> str | None:
    """The start of an IPC code as codes are stored (``h01m10`` → ``H01M 10``, ``H01M 10/05``), or None when
    ``query`` cannot begin one: for search boxes that take a code or words."""
    text = " ".join((query or "").upper().split())
    if not _IPC_PREFIX.fullmatch(text):
        return None
    return re.sub(r"^([A-HY]\d\d[A-Z])\s*(?=\d)", r"\1 ", text)


def parse_ipc_codes(codes) -> list[IPCCode]:
    """Codes in any form ``normalise_ipc`` accepts → distinct parsed codes, order kept (unparseable ones are
    skipped: for stored codes; a user's input is checked with ``normalise_ipc`` so that a bad code is said)."""
    parsed: list[IPCCode] = []
    for raw in codes or ():
        try:
            code = normalise_ipc(str(raw))
        except ValueError:
            continue
        if code not in parsed:
            parsed.append(code)
    return parsed


def split_ipc_list(raw: str) -> list[str]:
    """Split a cell such as ``A41D 31/00;A23G 1/50`` (also commas, |, newlines)."""
    return [part.strip() for part in re.split(r"[;|,\n]+", raw or "") if part.strip()]
