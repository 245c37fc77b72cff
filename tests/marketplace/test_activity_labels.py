"""The activity log shows what happened in words, in the reader's language, never raw audit codes such as
``need.suggestions_added``; every code an action writes has a label."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from marketplace import activity, audit
from marketplace.models import AuditEntry

APPS = ("marketplace", "listings", "matching", "negotiations")


def _enum_values(prefix: str) -> list[str]:
    """Codes written as f"<prefix>{state}": one per value of the state's TextChoices."""
    from matching.models import ContactRequestStatus, SuggestionStatus
    from negotiations.models import DealState

    enums = {"suggestion.": SuggestionStatus, "contact_request.": ContactRequestStatus, "deal.": DealState}
    assert prefix in enums, f"an audit code is built as f'{prefix}{{…}}': say here which states it takes"
    return [prefix + value for value in enums[prefix].values]


def _codes_in(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _codes_in(node.body) + _codes_in(node.orelse)
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
        return _enum_values(node.values[0].value)
    return []


def written_codes() -> set[str]:
    """Every audit code the project's code writes: the first argument of ``audit.record``/``record_many`` and
    the ``action_name=`` the state-change helpers pass on."""
    codes = set()
    for app in APPS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if (isinstance(func, ast.Attribute) and func.attr in ("record", "record_many")
                        and isinstance(func.value, ast.Name) and func.value.id == "audit" and node.args):
                    codes.update(_codes_in(node.args[0]))
                codes.update(c for kw in node.keywords if kw.arg == "action_name" for c in _codes_in(kw.value))
    return codes


def test_every_audit_code_written_has_a_label_in_both_languages():
    codes = written_codes()
    assert {"need.suggestions_added", "listing.published", "suggestion.viewed", "contact_request.replied",
            "organisation.verified", "member.invited"} <= codes
    assert sorted(codes - activity.known_codes()) == []
    from django.utils import translation

    for code in codes:
        with translation.override("en"):
            english = activity.label(code)
        with translation.override("zh-hans"):
            chinese = activity.label(code)
        assert english != code and chinese != english, code


def test_an_unknown_code_never_shows_itself():
    assert activity.label("thing.happened") == "Other change"


@pytest.mark.django_db
def test_organisation_activity_log_is_in_words_in_chinese(client, owner, institute):
    audit.record("need.suggestions_added", target=institute, organisation=institute, after={"count": 3})
    client.force_login(owner)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("organisation_detail", args=[institute.slug])).content.decode()
    assert "需求有新的推荐" in page and "创建机构" in page
    assert ">need.suggestions_added<" not in page and "organisation.created" not in page.replace(
        'data-action="organisation.created"', "")
    assert AuditEntry.objects.filter(organisation=institute).count() >= 2
