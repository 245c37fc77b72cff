"""One-step licences on a standing offer: a listing's open licence and its donated licences.

    /deals/open-licence/<listing>/   GET   the fixed terms in plain words, whether the chosen organisation is
                                           eligible (and if not, why), and the one form to sign
                                     POST  ``organisation``, ``typed_name``, ``confirmed``, ``password`` →
                                           accept_open_licence → the deal page (its signed PDF downloads there)
    /deals/donation/<listing>/       the same for a donated licence, with ``statement`` (intended use) →
                                     claim_donation

    /deals/open-licence/<listing>/preview/?organisation=<slug>   GET   the agreement that would be signed, as HTML,
    /deals/donation/<listing>/preview/?organisation=<slug>             on the fixed terms; nothing is stored

Login required; a listing that is not browsable, or has no open licence / no donation quota, is 404. A user with
several organisations picks one (``?organisation=<slug>``), as on /deals/open/.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from listings.models import Listing
from marketplace import throttle
from marketplace.actions import ActionError, membership_of
from marketplace.models import Organisation
from marketplace.throttle import client_ip
from negotiations import actions, eligibility
from negotiations import pdf as pdfs
from negotiations import terms as term_sheets
from negotiations.actions.grants import fixed_terms
from negotiations.models import Deal, DealOrigin
from negotiations.models.grants import STATEMENT_MAX_CHARS, STATEMENT_MIN_CHARS
from negotiations.views.agreements import SIGN_LIMIT


class GrantForm(forms.Form):
    """The one form of a one-step licence: the typed name, the box, the password (and for a donation, the use)."""

    statement = forms.CharField(
        label=gettext_lazy("What will you use the licence for?"), max_length=STATEMENT_MAX_CHARS,
        min_length=STATEMENT_MIN_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": STATEMENT_MAX_CHARS}),
        help_text=gettext_lazy("A short statement of intended use (20 to 1000 characters); the donor sees it."),
        error_messages={"min_length": gettext_lazy(
            "Say in at least %(limit_value)d characters what you will use the licence for (this has "
            "%(show_value)d).")},
    )
    typed_name = forms.CharField(label=gettext_lazy("Your full name"), max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "name"}),
                                 help_text=gettext_lazy("Type your name as on your account: this is your signature."))
    confirmed = forms.BooleanField(label=gettext_lazy("I accept these terms and sign the licence agreement for "
                                                      "my organisation."))
    password = forms.CharField(label=gettext_lazy("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, donation: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not donation:
            del self.fields["statement"]


def _listing(pk: int, origin: str) -> Listing:
    listing = get_object_or_404(Listing.objects.browsable().select_related("owner"), pk=pk)
    if origin == DealOrigin.OPEN_LICENCE and not listing.open_licence:
        raise Http404
    if origin == DealOrigin.DONATION and not listing.donation_quota:
        raise Http404
    return listing


def _held(listing: Listing, organisation: Organisation | None, origin: str) -> Deal | None:
    return eligibility.holding_deal(listing, organisation, origin)


def _context(request, listing: Listing, origin: str, chosen: Organisation | None, choices, form=None, errors=()):
    donation = origin == DealOrigin.DONATION
    terms = fixed_terms(listing, origin)
    refusals, may_sign, held = [], False, _held(listing, chosen, origin)
    if chosen is not None:
        chosen = Organisation.objects.select_related("sme_profile").get(pk=chosen.pk)
        refusals = (eligibility.donation_refusals if donation else eligibility.open_licence_refusals)(listing, chosen)
        membership = membership_of(request.user, chosen)
        may_sign = bool(membership and membership.may_sign)
    url_name = "donation_claim" if donation else "open_licence_accept"
    preview_name = "donation_preview" if donation else "open_licence_preview"
    return {
        "listing": listing,
        "patents": list(listing.patents.order_by("office", "number")),
        "origin": origin,
        "donation": donation,
        "action_url": reverse(url_name, args=[listing.pk]),
        "preview_url": (f"{reverse(preview_name, args=[listing.pk])}?organisation={chosen.slug}" if chosen is not None
                        else ""),
        "choices": choices,
        "chosen": chosen,
        "terms_rows": [(term_sheets.label(name), term_sheets.display_value(name, terms))
                       for name in term_sheets.relevant_fields(terms) if name != "valid_until"],
        "paid": not donation and listing.upfront_minor > 0,
        "royalty": not donation and (terms.get("royalty_rate_bp") or 0) > 0,
        "refusals": refusals,
        "needs_profile": chosen is not None and eligibility.needs_sme_profile(listing, chosen, donation=donation),
        "may_sign": may_sign,
        "held": held,
        "claimed": eligibility.places_claimed(listing) if donation else 0,
        "form": form or GrantForm(donation=donation),  # the name is typed again: never prefilled
        "errors": errors,
    }


def _grant_page(request, pk: int, origin: str):
    listing = _listing(pk, origin)
    donation = origin == DealOrigin.DONATION
    choices = list(Organisation.objects.for_member(request.user).exclude(pk=listing.owner_id).order_by("name"))
    slug = request.POST.get("organisation") or request.GET.get("organisation") or ""
    chosen = next((o for o in choices if o.slug == slug), None)
    if slug and chosen is None:
        raise Http404
    if chosen is None and len(choices) == 1:
        chosen = choices[0]
    template = "negotiations/grant.html"
    if request.method != "POST" or chosen is None:
        return render(request, template, _context(request, listing, origin, chosen, choices))
    form = GrantForm(request.POST, donation=donation)
    if not throttle.allow("agreement_sign", str(request.user.pk), SIGN_LIMIT):  # password guesses, as on agreements
        minutes = max(1, -(-SIGN_LIMIT.seconds // 60))
        response = render(request, template, _context(request, listing, origin, chosen, choices, errors=[
            ngettext("Too many signing attempts: try again in %(minutes)d minute.",
                     "Too many signing attempts: try again in %(minutes)d minutes.", minutes)
            % {"minutes": minutes}]), status=429)
        response["Retry-After"] = str(SIGN_LIMIT.seconds)
        return response
    if not form.is_valid():
        return render(request, template, _context(request, listing, origin, chosen, choices, form=form))
    data = form.cleaned_data
    sign = {"typed_name": data["typed_name"], "password": data["password"], "confirmed": data["confirmed"],
            "ip_address": client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")[:400]}
    try:
        if donation:
            deal = actions.claim_donation(listing, chosen, actor=request.user, statement=data["statement"],
                                          **sign).deal
        else:
            deal = actions.accept_open_licence(listing, chosen, actor=request.user, **sign)
    except actions.AlreadyClaimed as exc:
        messages.info(request, str(exc))
        return redirect(exc.deal) if exc.deal is not None else redirect(request.path)
    except actions.NotEligible as exc:
        return render(request, template, _context(request, listing, origin, chosen, choices, form=form,
                                                  errors=exc.reasons))
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return render(request, template, _context(request, listing, origin, chosen, choices, form=form))
    except ActionError as exc:  # the quota used up meanwhile, a refused signature, no agreement produced
        return render(request, template, _context(request, listing, origin, chosen, choices, form=form,
                                                  errors=[str(exc)]))
    if deal.state == "awaiting_payment":
        messages.success(request, _("The open licence is signed. Pay the licence fee to complete it; the signed "
                                    "agreement is below."))
    else:
        messages.success(request, _("Your licence is granted and signed: download the signed agreement below."))
    return redirect(deal)


def _preview(request, pk: int, origin: str):
    from negotiations import agreement_content, agreement_render
    from negotiations.models import Offer, Side

    listing = _listing(pk, origin)
    choices = list(Organisation.objects.for_member(request.user).exclude(pk=listing.owner_id))
    slug = request.GET.get("organisation") or ""
    chosen = next((o for o in choices if o.slug == slug), None) or (choices[0] if len(choices) == 1 and not slug
                                                                    else None)
    if chosen is None:
        raise Http404
    try:
        cleaned = term_sheets.clean_terms(fixed_terms(listing, origin))
    except ValidationError:
        raise Http404 from None
    deal = Deal(listing=listing, licensor=listing.owner, licensee=chosen, origin=origin)  # never saved
    offer = Offer(version=1, side=Side.LICENSOR, **cleaned)
    content = agreement_content.build_content(deal, offer, version=1,
                                              template_version=agreement_render.TEMPLATE_VERSION)
    content["reference"] = "PREVIEW 预览 — not signed 未签署"  # the agreement's own bilingual wording
    html_en, html_zh = agreement_render.render_texts(content)
    response = HttpResponse(render_to_string(f"{agreement_render._base(content)}/document.html", {
        "c": content, "html_en": html_en, "html_zh": html_zh, "font_stack": pdfs.FONT_STACK}))
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def open_licence_preview(request, pk):
    return _preview(request, pk, DealOrigin.OPEN_LICENCE)


@login_required
def donation_preview(request, pk):
    return _preview(request, pk, DealOrigin.DONATION)


@login_required
def open_licence_accept(request, pk):
    return _grant_page(request, pk, DealOrigin.OPEN_LICENCE)


@login_required
def donation_claim(request, pk):
    return _grant_page(request, pk, DealOrigin.DONATION)
