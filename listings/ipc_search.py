"""IPC codes by code or by title words, for the listing form's IPC field: ``/listings/ipc/search.json?q=``.

Public (the IPC scheme is public data), at most ``MAX_RESULTS`` answers. A query that looks like a code
(``H01M``, ``h01m 10``, ``H01M 10/05``) lists the codes starting with it in scheme order; other queries
match every word (crudely stemmed) against the titles of subclasses, main groups and subgroups, broader
codes first. WIPO's titles are English, so Chinese words give the codes of published patents whose titles
hold them, most used first. The field
itself stays a plain text input that the server validates (``ListingForm.clean_new_ipc_codes``), so
``static/js/ipc_picker.js`` is only a help.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from django.db.models import Q
from django.http import JsonResponse
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from listings import ipc, numbers

MAX_RESULTS = 20
MAX_QUERY = 100
PATENT_SAMPLE = 500  # patents read for a Chinese query
_HAN = re.compile(r"[\u3400-\u9fff]")
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


def search(query: str, limit: int = MAX_RESULTS) -> tuple[list[dict], bool]:
    query = " ".join((query or "").split())[:MAX_QUERY]
    if len(query) < 2 and not re.fullmatch(r"[A-HYa-hy]", query):
        return [], False
    entries = ipc._load().entries
    prefix = numbers.ipc_prefix(query)
    if prefix is not None:
        codes = [code for code in entries if code.startswith(prefix)]
    elif _HAN.search(query):
        codes = _codes_of_published_patents(query)
    else:
        stems = [_stem(w.lower()) for w in re.findall(r"\w+", query) if len(w) > 1]
        if not stems:
            return [], False
        # Broader codes first (the haystack is in that order): a subclass says more to someone who typed
        # "battery" than a subgroup.
        codes = [code for code, text in _haystack() if all(stem in text for stem in stems)]
    if prefix is not None:
        codes.sort(key=ipc.sort_key)
    return [_result(code, entries[code].level) for code in codes[:limit]], len(codes) > limit


def _result(code: str, level: str) -> dict:
    """A code with its title in the active language (Chinese for sections and classes under a Chinese UI);
    WIPO's English on a page in another language comes with ``note`` "(in English)", as on listing pages."""
    title = ipc.local_title(code, full=True)
    english_elsewhere = title.lang == "en" and not (translation.get_language() or "en").lower().startswith("en")
    return {"code": code, "title": str(title)[:200], "level": level, "lang": title.lang,
            "note": _("(in English)") if english_elsewhere else ""}


def _codes_of_published_patents(query: str) -> list[str]:
    """WIPO's titles are English: for Chinese words, the subclasses and main groups of published patents
    whose titles hold every word (in either script), most used first."""
    from listings.models import ListingState, Patent
    from listings.patent_picker import _script_variants

    condition = Q()
    for word in query.split():
        either = Q()
        for variant in _script_variants(word):
            either |= Q(title__icontains=variant)
        condition &= either
    patents = (Patent.objects.filter(condition, listings__state=ListingState.PUBLISHED)
               .values_list("ipc_codes", flat=True).distinct()[:PATENT_SAMPLE])
    counts: Counter = Counter()
    for codes in patents:
        seen = set()
        for code in codes or []:
            for node in (code[:4], _main_group(code)):
                if node and node not in seen and ipc.is_known(node):
                    seen.add(node)
                    counts[node] += 1
    return [code for code, _n in sorted(counts.items(), key=lambda item: (-item[1], ipc.sort_key(item[0])))]


def _main_group(code: str) -> str:
    try:
        return numbers.normalise_ipc(code).main_group
    except ValueError:
        return ""


@require_safe
def search_json(request):
    results, more = search(request.GET.get("q", ""))
    return JsonResponse({"results": results, "more": more, "limit": MAX_RESULTS})


urlpatterns = [path("listings/ipc/search.json", search_json, name="ipc_search")]
