"""IPC codes by code or by title words, for the listing form's IPC field: ``/listings/ipc/search.json?q=``.

Public (the IPC scheme is public data), at most ``MAX_RESULTS`` answers. A query that looks like a code
(``H01M``, ``h01m 10``, ``H01M 10/05``) lists the codes starting with it in scheme order; other queries
match every word (crudely stemmed) against the titles of subclasses, main groups and subgroups, broader
codes first (WIPO's titles are English: Chinese words find nothing yet). The field
itself stays a plain text input that the server validates (``ListingForm.clean_new_ipc_codes``), so
``static/js/ipc_picker.js`` is only a help.
"""

from __future__ import annotations

import functools
import re

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_safe

from listings import ipc

MAX_RESULTS = 20
MAX_QUERY = 100
_CODE_PREFIX = re.compile(r"[A-HY](\d{1,2}([A-Z](\s*\d{1,4}(/\d{0,6})?)?)?)?")
_TITLE_LEVELS = (ipc.SUBCLASS, ipc.MAIN_GROUP, ipc.SUBGROUP)


@functools.lru_cache(maxsize=1)
def _haystack() -> list[tuple[str, str]]:
    """(code, lower-case title text) of the searchable levels, broader levels first, in scheme order."""
    entries = ipc._load().entries
    codes = sorted((code for code, entry in entries.items() if entry.level in _TITLE_LEVELS),
                   key=lambda code: (_TITLE_LEVELS.index(entries[code].level), ipc.sort_key(code)))
    return [(code, f"{entries[code].title} {entries[code].main_group_title}".lower()) for code in codes]


def _stem(word: str) -> str:
    """A crude English stem, enough for titles: battery/batteries → batter, cells → cell."""
    for ending in ("ies", "es", "s", "y"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _code_prefix(query: str) -> str | None:
    text = " ".join(query.upper().split())
    if not _CODE_PREFIX.fullmatch(text):
        return None
    return re.sub(r"^([A-HY]\d\d[A-Z])\s*(?=\d)", r"\1 ", text)


def search(query: str, limit: int = MAX_RESULTS) -> tuple[list[dict], bool]:
    query = " ".join((query or "").split())[:MAX_QUERY]
    if len(query) < 2 and not re.fullmatch(r"[A-HYa-hy]", query):
        return [], False
    entries = ipc._load().entries
    prefix = _code_prefix(query)
    if prefix is not None:
        codes = [code for code in entries if code.startswith(prefix)]
    else:
        stems = [_stem(w.lower()) for w in re.findall(r"\w+", query) if len(w) > 1]
        if not stems:
            return [], False
        # Broader codes first (the haystack is in that order): a subclass says more to someone who typed
        # "battery" than a subgroup.
        codes = [code for code, text in _haystack() if all(stem in text for stem in stems)]
    if prefix is not None:
        codes.sort(key=ipc.sort_key)
    found = [{"code": code, "title": ipc.short(ipc.full_title(code))[:200], "level": entries[code].level}
             for code in codes[:limit]]
    return found, len(codes) > limit


@require_safe
def search_json(request):
    results, more = search(request.GET.get("q", ""))
    return JsonResponse({"results": results, "more": more, "limit": MAX_RESULTS})


urlpatterns = [path("listings/ipc/search.json", search_json, name="ipc_search")]
