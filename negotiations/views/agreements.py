"""Licence agreements of a deal: the page, the downloads, signing, staff retries and the public verification.

    /deals/<id>/agreement/                          the current agreement (``?version=``; ``?lang=en|zh``)
    /deals/<id>/agreement/<v>.pdf                   the PDF signed (parties only)
    /deals/<id>/agreement/<v>/signed.pdf            the final PDF: signed PDF + signature page + certificate
    /deals/<id>/agreement/<v>/sign/         POST    SignatureForm → sign_agreement
    /agreements/failed/                             staff: agreements that could not be produced, with the error
    /agreements/<aid>/retry/                POST    staff → retry_agreement
    /agreements/verify/                     GET/POST  anyone: is this PDF (or hash) a PatentBridge agreement?

Non-parties get 404 on every deal URL; non-staff get 404 on the staff ones.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from marketplace import throttle, wording
from marketplace.downloads import private_file
from marketplace.actions import ActionError
from negotiations import actions, agreement_render
from negotiations import pdf as pdfs
from negotiations.forms import SignatureForm, VerifyForm
from negotiations.models import Agreement, AgreementStatus, Deal, Side
from negotiations.views.access import party_deal

VERIFY_LIMIT = throttle.Limit(count=30, seconds=3600)
RETYPE_CODES = ("unconfirmed", "name_mismatch", "wrong_password")
SIGN_LIMIT = throttle.Limit(count=10, seconds=900)  # password guesses through the sign form
VERIFY_MAX_BYTES = 30 * 1024 * 1024
SHOWN_STATES = (AgreementStatus.SIGNING, AgreementStatus.SIGNED, AgreementStatus.FAILED)


def current_agreement(deal: Deal) -> Agreement | None:
    """The agreement the room shows: the live one (out for signature or failed), else the last signed one."""
    rows = list(deal.agreements.order_by("-version"))
    live = next((a for a in rows if a.status in (AgreementStatus.SIGNING, AgreementStatus.FAILED)), None)
    return live or next((a for a in rows if a.status == AgreementStatus.SIGNED), None)


def agreement_panel(deal: Deal, user, side: str, agreement: Agreement | None = None) -> dict:
    """What the room's agreement panel and the agreement page tell one user: the agreement, each side's
    signature, whether this user can sign now (and if not, why)."""
    agreement = agreement or current_agreement(deal)
    if agreement is None:
        return {"agreement": None}
    signatures = {s.side: s for s in agreement.signatures.select_related("user")}
    my_side, membership = actions.signing_membership(user, deal)
    mine, theirs = signatures.get(side), signatures.get(Side(side).other)
    out = agreement.status == AgreementStatus.SIGNING
    return {
        "agreement": agreement,
        "my_signature": mine,
        "their_signature": theirs,
        "licensor_signature": signatures.get(Side.LICENSOR),
        "licensee_signature": signatures.get(Side.LICENSEE),
        "can_sign": out and mine is None and membership is not None and membership.may_sign,
        "needs_signatory": out and mine is None and (membership is None or not membership.may_sign),
        "agreement_url": reverse("deal_agreement", args=[deal.pk]),
    }


def _agreement_for(deal: Deal, version) -> Agreement:
    return get_object_or_404(Agreement, deal=deal, version=version)


def _render_page(request, deal, side, agreement, *, form=None, status=200):
    chinese = request.GET.get("lang") == "zh" or (request.GET.get("lang") != "en" and wording.chinese_active())
    context = {
        "deal": deal, "side": side, "listing": deal.listing,
        "me": deal.organisation_of(side), "other": deal.organisation_of(Side(side).other),
        "versions": list(deal.agreements.order_by("-version")),
        "chinese": chinese,
        "html": (agreement.html_zh if chinese else agreement.html_en) if agreement else "",
        "stylesheet": agreement_render.stylesheet(agreement.content) if agreement and agreement.html_en else "",
        "sign_form": form or SignatureForm(),
        **agreement_panel(deal, request.user, side, agreement),
    }
    return render(request, "negotiations/agreement.html", context, status=status)


@login_required
@require_GET
def agreement_page(request, pk):
    deal, side = party_deal(request, pk)
    version = request.GET.get("version")
    if version:
        try:
            agreement = _agreement_for(deal, int(version))
        except ValueError:
            raise Http404 from None
    else:
        agreement = current_agreement(deal)
    return _render_page(request, deal, side, agreement)


def _file_response(field, filename: str):
    return private_file(field, filename=filename, content_type="application/pdf")


@login_required
@require_GET
def agreement_pdf(request, pk, version):
    deal, _side = party_deal(request, pk)
    agreement = _agreement_for(deal, version)
    if not agreement.pdf_sha256:
        raise Http404
    return _file_response(agreement.pdf, f"{agreement.reference}.pdf")


@login_required
@require_GET
def agreement_signed_pdf(request, pk, version):
    deal, _side = party_deal(request, pk)
    agreement = _agreement_for(deal, version)
    if not agreement.final_sha256:
        raise Http404
    return _file_response(agreement.final_pdf, f"{agreement.reference}-signed.pdf")


@login_required
@require_POST
def agreement_sign(request, pk, version):
    deal, side = party_deal(request, pk)
    agreement = _agreement_for(deal, version)
    form = SignatureForm(request.POST)
    if not throttle.allow("agreement_sign", str(request.user.pk), SIGN_LIMIT):
        form.is_valid()
        form.add_error(None, _("Too many signing attempts: try again in 15 minutes."))
        return _render_page(request, deal, side, agreement, form=form, status=429)
    if not form.is_valid():
        return _render_page(request, deal, side, agreement, form=form, status=400)
    try:
        actions.sign_agreement(agreement, actor=request.user, typed_name=form.cleaned_data["typed_name"],
                               password=form.cleaned_data["password"], confirmed=form.cleaned_data["confirm"],
                               ip_address=request.META.get("REMOTE_ADDR"),
                               user_agent=request.META.get("HTTP_USER_AGENT", ""))
    except ActionError as exc:
        if getattr(exc, "code", "") in RETYPE_CODES:  # the signer can correct it in the form
            form.add_error(None, str(exc))  # (the password field is never shown again)
            return _render_page(request, deal, side, agreement, form=form, status=400)
        messages.error(request, str(exc))
        return redirect("deal_agreement", pk=deal.pk)
    agreement.refresh_from_db()
    if agreement.status == AgreementStatus.SIGNED:
        messages.success(request, _("You signed agreement %(ref)s. Both parties have now signed: the signed PDF "
                                    "is ready to download.") % {"ref": agreement.reference})
    else:
        messages.success(request, _("You signed agreement %(ref)s; %(org)s is told and signs next.")
                         % {"ref": agreement.reference, "org": deal.organisation_of(Side(side).other).name})
    return redirect("deal_agreement", pk=deal.pk)


# --- staff ----------------------------------------------------------------------------------------
def _require_staff(request) -> None:
    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404


@login_required
@require_GET
def failed_agreements(request):
    _require_staff(request)
    rows = (Agreement.objects.filter(status=AgreementStatus.FAILED)
            .select_related("deal__listing", "deal__licensor", "deal__licensee").order_by("created_at"))
    return render(request, "negotiations/agreements_failed.html", {"agreements": rows})


@login_required
@require_POST
def agreement_retry(request, aid):
    _require_staff(request)
    agreement = get_object_or_404(Agreement, pk=aid)
    try:
        agreement = actions.retry_agreement(agreement, actor=request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        if agreement.status == AgreementStatus.FAILED:
            messages.error(request, _("Agreement %(ref)s still could not be produced: %(error)s")
                           % {"ref": agreement.reference, "error": agreement.render_error})
        else:
            messages.success(request, _("Agreement %(ref)s is produced and out for signature.")
                             % {"ref": agreement.reference})
    return redirect("agreements_failed")


# --- public verification --------------------------------------------------------------------------
def _read_upload(upload) -> bytes | None:
    if upload.size > VERIFY_MAX_BYTES:
        return None
    return b"".join(upload.chunks())


def _replacement(agreement) -> str:
    """The reference of the version that replaced a superseded agreement ("" for any other)."""
    if agreement.status != AgreementStatus.SUPERSEDED:
        return ""
    later = Agreement.objects.filter(deal=agreement.deal, version__gt=agreement.version).order_by("version")
    if agreement.signed_at:  # a signed version is replaced only by the next one signed
        later = later.exclude(signed_at=None)
    replacement = later.first()
    return replacement.reference if replacement else ""


def agreement_verify(request):
    """Anyone checks a PDF or a fingerprint: which PatentBridge agreement it is (reference, parties, date signed)
    — nothing else of its content."""
    form, result, checked = VerifyForm(), None, None
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
        if not throttle.allow("agreement_verify", throttle.client_ip(request) or "unknown", VERIFY_LIMIT):
            form.is_valid()
            form.add_error(None, _("Too many checks from your address: try again in an hour."))
            return render(request, "negotiations/agreement_verify.html", {"form": form}, status=429)
        if form.is_valid():
            upload = form.cleaned_data.get("document")
            if upload is not None:
                data = _read_upload(upload)
                if data is None:
                    form.add_error("document", _("The file is too large to be a PatentBridge agreement."))
                else:
                    checked = pdfs.sha256(data)
            else:
                checked = form.cleaned_data["sha256"]
        if checked:
            found = (Agreement.objects.by_hash(checked).select_related("deal__licensor", "deal__licensee")
                     .order_by("-version").first())
            result = {"found": found is not None, "sha256": checked}
            if found is not None:
                result.update({
                    "reference": found.reference,
                    "licensor": found.deal.licensor.name, "licensee": found.deal.licensee.name,
                    "signed_at": found.signed_at,
                    "is_final": found.final_sha256 == checked,
                    "status": found.status, "changed_at": found.status_changed_at,
                    "replaced_by": _replacement(found),
                })
    return render(request, "negotiations/agreement_verify.html", {"form": form, "result": result})
