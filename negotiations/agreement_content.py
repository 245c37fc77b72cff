"""The content snapshot of a licence agreement: every fact its templates print, frozen when it is generated.

    build_content(deal, offer, *, version, template_version) -> dict   JSON-serialisable; stored in
                                                                        ``Agreement.content``

The snapshot holds the parties as they were (names, kinds, addresses, registration codes, authorised
signatories), the patents, and the accepted terms, each with its English and Chinese wording, so a template
renders from it alone and a later change of an organisation, a listing or a translation never alters an
agreement already produced. Chinese legal wording is written here directly: it is Chinese by nature, not a
translation of an interface string.
"""

from __future__ import annotations

from django.utils import timezone, translation

from listings.models import FeeModel, LicenceKind
from listings.templatetags.listing_tags import format_rate
from marketplace.models import Membership, MemberRole, OrganisationKind, Province
from negotiations import spelling, territories
from negotiations.models import DealOrigin, Side
from negotiations.terms import AMOUNT_FIELDS, USED_BY, GoverningLaw

ZH_LICENCE_KIND = {
    LicenceKind.EXCLUSIVE: "独占实施许可",
    LicenceKind.SOLE: "排他实施许可",
    LicenceKind.NON_EXCLUSIVE: "普通实施许可",
    LicenceKind.ASSIGNMENT: "专利权转让",
}
EN_LICENCE_KIND = {
    LicenceKind.EXCLUSIVE: "exclusive licence",
    LicenceKind.SOLE: "sole licence",
    LicenceKind.NON_EXCLUSIVE: "non-exclusive licence",
    LicenceKind.ASSIGNMENT: "assignment",
}
ZH_FEE_MODEL = {
    FeeModel.FREE: "免费许可",
    FeeModel.LUMP_SUM: "一次总付",
    FeeModel.ROYALTY: "提成支付",
    FeeModel.ENTRY_FEE_ROYALTY: "入门费加提成",
}
ZH_GOVERNING_LAW = {
    GoverningLaw.PRC: "中华人民共和国法律",
    GoverningLaw.HONG_KONG: "中华人民共和国香港特别行政区法律",
    GoverningLaw.ENGLAND: "英格兰及威尔士法律",
    GoverningLaw.SINGAPORE: "新加坡法律",
}
EN_GOVERNING_LAW = {
    GoverningLaw.PRC: "the laws of the People's Republic of China",
    GoverningLaw.HONG_KONG: "the laws of the Hong Kong Special Administrative Region",
    GoverningLaw.ENGLAND: "the laws of England and Wales",
    GoverningLaw.SINGAPORE: "the laws of Singapore",
}
ZH_ORG_KIND = {
    OrganisationKind.UNIVERSITY: "高等院校",
    OrganisationKind.RESEARCH_INSTITUTE: "科研院所",
    OrganisationKind.STATE_ENTERPRISE: "国有企业",
    OrganisationKind.ENTERPRISE: "企业",
    OrganisationKind.SME: "中小企业",
    OrganisationKind.IP_AGENCY: "知识产权服务机构",
}
ZH_AMOUNT_LABEL = {"lump_sum_minor": "一次总付许可费", "entry_fee_minor": "入门费",
                   "minimum_annual_royalty_minor": "年度最低提成费"}
EN_AMOUNT_LABEL = {"lump_sum_minor": "Lump-sum fee", "entry_fee_minor": "Entry fee",
                   "minimum_annual_royalty_minor": "Minimum annual royalty"}


def _label(choices, value, language: str) -> str:
    with translation.override(language):
        try:
            return str(choices(value).label)
        except ValueError:
            return str(value or "")


def _signatories(organisation) -> list[dict]:
    rows = (Membership.objects.filter(organisation=organisation, user__is_active=True)
            .select_related("user").order_by("-role", "user__full_name", "user_id"))
    return [{"user": m.user_id, "name": m.user.full_name, "owner": m.role == MemberRole.OWNER}
            for m in rows if m.may_sign]


def party(organisation) -> dict:
    province_en = _label(Province, organisation.province, "en") if organisation.province else ""
    province_zh = _label(Province, organisation.province, "zh-hans") if organisation.province else ""
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "kind": organisation.kind,
        "kind_en": _label(OrganisationKind, organisation.kind, "en"),
        "kind_zh": ZH_ORG_KIND.get(organisation.kind, organisation.kind),
        # The registered address; organisations that have not entered one are placed by their province.
        "address_en": organisation.address or province_en,
        "address_zh": organisation.address or province_zh,
        "credit_code": organisation.credit_code,
        "registration_number": organisation.registration_number,
        "signatories": _signatories(organisation),
    }


def _patents(listing) -> list[dict]:
    return [{"office": p.office, "number": p.display_number, "title": p.title,
             "expiry": p.expiry_date.isoformat() if p.expiry_date else ""}
            for p in listing.patents.order_by("office", "number")]


def _amount(minor: int, currency: str) -> dict:
    return {"minor": minor, "figures": spelling.amount_in_figures(minor, currency),
            "en": spelling.english_words(minor, currency), "zh": spelling.chinese_capital(minor, currency)}


def _territory(keys: list[str], language: str) -> str:
    with translation.override(language):
        try:
            return territories.display(keys)
        except ValueError:
            return ", ".join(keys)


def terms(offer) -> dict:
    used = USED_BY.get(offer.fee_model, ())
    amounts = {name: {**_amount(getattr(offer, name), offer.currency),
                      "label_en": EN_AMOUNT_LABEL[name], "label_zh": ZH_AMOUNT_LABEL[name]}
               for name in AMOUNT_FIELDS if name in used and getattr(offer, name)}
    royalty = "royalty_rate_bp" in used and offer.royalty_rate_bp > 0
    return {
        "offer_version": offer.version,
        "licence_kind": offer.licence_kind,
        "licence_kind_en": EN_LICENCE_KIND.get(offer.licence_kind, offer.licence_kind),
        "licence_kind_zh": ZH_LICENCE_KIND.get(offer.licence_kind, offer.licence_kind),
        "is_assignment": offer.licence_kind == LicenceKind.ASSIGNMENT,
        "territory": list(offer.territory),
        "territory_en": _territory(offer.territory, "en"),
        "territory_zh": _territory(offer.territory, "zh-hans"),
        "field_of_use": offer.field_of_use,
        "term_months": offer.term_months,
        "fee_model": offer.fee_model,
        "fee_model_en": _label(FeeModel, offer.fee_model, "en"),
        "fee_model_zh": ZH_FEE_MODEL.get(offer.fee_model, offer.fee_model),
        "is_free": offer.fee_model == FeeModel.FREE,
        "currency": offer.currency,
        "amounts": amounts,
        "lump_sum": amounts.get("lump_sum_minor"),
        "entry_fee": amounts.get("entry_fee_minor"),
        "minimum_annual_royalty": amounts.get("minimum_annual_royalty_minor"),
        "royalty": royalty,
        "royalty_rate_bp": offer.royalty_rate_bp if royalty else 0,
        "royalty_rate": format_rate(offer.royalty_rate_bp) if royalty else "",
        "royalty_base": offer.royalty_base if royalty else "",
        "sublicensing_allowed": offer.sublicensing_allowed,
        "governing_law": offer.governing_law,
        "governing_law_en": EN_GOVERNING_LAW.get(offer.governing_law, offer.governing_law),
        "governing_law_zh": ZH_GOVERNING_LAW.get(offer.governing_law, offer.governing_law),
    }


def upfront_minor(content_terms: dict) -> int:
    """What is due at signing: the lump sum or the entry fee (0 for free and pure royalty licences)."""
    if content_terms.get("is_free"):
        return 0
    return sum((content_terms.get(name) or {}).get("minor", 0) for name in ("lump_sum", "entry_fee"))


def _consent(deal) -> dict | None:
    """For open licences and donations: the licensor consented by publishing the standing offer."""
    if deal.origin == DealOrigin.NEGOTIATED:
        return None
    since = deal.listing.open_licence_since if deal.origin == DealOrigin.OPEN_LICENCE else None
    since = timezone.localdate(since).isoformat() if since else ""
    return {"origin": deal.origin, "since": since}


def build_content(deal, offer, *, version: int, template_version: str) -> dict:
    now = timezone.localtime()
    return {
        "reference": f"PB-{deal.pk}-{version}",
        "deal": deal.pk,
        "version": version,
        "template_version": template_version,
        "generated_at": now.isoformat(),
        "generated_on": now.date().isoformat(),
        "origin": deal.origin,
        "consent": _consent(deal),
        "listing": {"id": deal.listing_id, "title": deal.listing.title},
        "parties": {Side.LICENSOR.value: party(deal.licensor), Side.LICENSEE.value: party(deal.licensee)},
        "patents": _patents(deal.listing),
        "terms": terms(offer),
    }
