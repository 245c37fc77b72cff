"""Rendering of licence agreements from their content snapshot (``negotiations.agreement_content``).

    TEMPLATE_VERSION                          the template version new agreements are made with ("v1")
    render_texts(content) -> (html_en, html_zh)   the two texts, from templates/negotiations/agreements/<v>/
    render_document(content, html_en, html_zh) -> bytes   ONE bilingual PDF (English, then Chinese), the
                                              reference and page numbers on every page
    render_certificate(agreement, ...) -> bytes    the signature page and the certificate of completion

The templates of a version never change once agreements were made with it: a new wording is a new version
directory (``v2``), and existing agreements keep their stored HTML and PDF. PDFs go through
``negotiations.pdf.render_pdf`` (looked up at each call, so a test can make rendering fail).
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from negotiations import pdf as pdfs

TEMPLATE_VERSION = "v1"


def _base(content: dict) -> str:
    return f"negotiations/agreements/{content.get('template_version') or TEMPLATE_VERSION}"


def _roles(content: dict, language: str) -> list[tuple[str, dict]]:
    parties = content["parties"]
    assignment = content["terms"].get("is_assignment")
    if language == "zh":
        names = ("转让方", "受让方") if assignment else ("许可方", "被许可方")
    else:
        names = ("Assignor (Licensor)", "Assignee (Licensee)") if assignment else ("Licensor", "Licensee")
    return [(names[0], parties["licensor"]), (names[1], parties["licensee"])]


def render_texts(content: dict) -> tuple[str, str]:
    base = _base(content)
    context = {"c": content, "parties": _roles(content, "en"), "parties_zh": _roles(content, "zh")}
    with translation.override("en"):
        html_en = render_to_string(f"{base}/agreement_en.html", context)
    with translation.override("zh-hans"):
        html_zh = render_to_string(f"{base}/agreement_zh.html", context)
    return html_en, html_zh


def stylesheet(content: dict) -> str:
    """The style sheet of the agreement's template version (the page shows the stored HTML with it)."""
    return render_to_string(f"{_base(content)}/style.css", {"font_stack": pdfs.FONT_STACK})


def render_document(content: dict, html_en: str, html_zh: str) -> bytes:
    html = render_to_string(f"{_base(content)}/document.html", {
        "c": content, "html_en": html_en, "html_zh": html_zh, "font_stack": pdfs.FONT_STACK})
    return pdfs.render_pdf(html)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S UTC%z") if moment else ""


def _bilingual(text_en: str, text_zh: str) -> str:
    return text_en if text_zh == text_en else f"{text_en} · {text_zh}"


def _translated(message) -> str:
    """A lazy message in English and in Chinese, joined (as the certificate is bilingual)."""
    with translation.override("en"):
        english = str(message)
    with translation.override("zh-hans"):
        chinese = str(message)
    return _bilingual(english, chinese)


def _history(deal) -> list[dict]:
    """The deal's audit trail, oldest first, labelled in English and Chinese. Each event names its actor and
    what the actor acts as: their own party's organisation, the dispute's mediator or PatentBridge staff
    (never the organisation the entry is filed under, which is the licensor's for events without a side)."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils.translation import gettext_lazy

    from marketplace import activity
    from marketplace.models import AuditEntry, Membership

    entries = list(AuditEntry.objects.filter(target_type=ContentType.objects.get_for_model(type(deal)),
                                             target_id=str(deal.pk))
                   .select_related("actor", "organisation").order_by("created_at", "id"))
    parties = {deal.licensor_id: deal.licensor, deal.licensee_id: deal.licensee}
    actor_ids = {entry.actor_id for entry in entries if entry.actor_id}
    party_orgs: dict[int, list[int]] = {}
    for user_id, org_id in Membership.objects.filter(user_id__in=actor_ids, organisation_id__in=parties) \
            .values_list("user_id", "organisation_id"):
        party_orgs.setdefault(user_id, []).append(org_id)
    mediators = set(deal.disputes.exclude(mediator=None).values_list("mediator_id", flat=True))
    as_mediator = _translated(gettext_lazy("mediator"))
    as_staff = _translated(gettext_lazy("PatentBridge staff"))

    def acting_as(entry) -> str:
        orgs = party_orgs.get(entry.actor_id)
        if orgs:
            return parties[entry.organisation_id if entry.organisation_id in orgs else orgs[0]].name
        if entry.actor_id in mediators:
            return as_mediator
        return as_staff if entry.actor.is_staff else ""

    rows = []
    for entry in entries:
        with translation.override("en"):
            english = activity.label(entry.action)
        with translation.override("zh-hans"):
            chinese = activity.label(entry.action)
        label = _bilingual(english, chinese)
        who = ", ".join(part for part in (entry.actor.full_name, acting_as(entry)) if part) if entry.actor else ""
        rows.append({"when": _when(entry.created_at), "what": f"{label}{f' ({who})' if who else ''}"})
    return rows


def _signature_rows(agreement) -> list[dict]:
    from negotiations.models import Side, SignatureMethod

    roles = {Side.LICENSOR: ("Licensor", "许可方"), Side.LICENSEE: ("Licensee", "被许可方")}
    rows = []
    for signature in agreement.signatures.select_related("user", "organisation").order_by("signed_at", "id"):
        role_en, role_zh = roles[Side(signature.side)]
        rows.append({
            "role_en": role_en, "role_zh": role_zh, "organisation": signature.organisation.name,
            "standing_offer": signature.method == SignatureMethod.STANDING_OFFER,
            "consent_note": signature.consent_note,
            "user": signature.user.full_name if signature.user else "", "typed_name": signature.typed_name,
            "signed_at": _when(signature.signed_at), "ip": signature.ip_address or "",
            "user_agent": signature.user_agent, "pdf_sha256": signature.pdf_sha256,
        })
    return rows


def render_certificate(agreement, *, pages: int, completed_at) -> bytes:
    content = agreement.content
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    html = render_to_string(f"{_base(content)}/certificate.html", {
        "c": content, "font_stack": pdfs.FONT_STACK, "pdf_sha256": agreement.pdf_sha256,
        "signatures": _signature_rows(agreement), "history": _history(agreement.deal), "pages": pages,
        "completed_at": _when(completed_at), "verify_url": f"{site}{reverse('agreement_verify')}",
    })
    return pdfs.render_pdf(html)
