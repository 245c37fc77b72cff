"""Every state change of deals, term sheets, messages and attachments.

    open_deal(listing, licensee, *, actor, terms=None, message="", contact_request=None) -> Deal
    make_offer(deal, *, actor, terms, expected_version, distinct_field_confirmed=False) -> Offer
    accept_offer(deal, *, actor, version, confirm_distinct_field=False) -> Deal
    withdraw_offer(deal, *, actor, version) -> Offer
    end_deal(deal, *, actor, reason="") -> Deal        the licensor declines, the licensee withdraws
    expire_due(now=None, *, deal=None) -> Expired     offers past valid-until, negotiations idle too long
    post_message(deal, *, actor, body, files=()) -> Message
    edit_message(message, *, actor, body) -> Message  the author, within 5 minutes
    delete_message(message, *, actor) -> Message      the author; leaves a "deleted" marker
    generate_agreement, retry_agreement, sign_agreement, record_standing_consent, complete_deal
                                                      licence agreements and signatures (``agreements``)
    accept_open_licence(listing, organisation, *, actor, typed_name, password, confirmed, ip_address, user_agent)
    claim_donation(listing, organisation, *, actor, statement, typed_name, password, confirmed, ip_address,
                   user_agent) -> DonationClaim          one-step licences on a standing offer (``grants``)

Each validates, locks (``select_for_update``: the listing row first when exclusivity is at stake, then the
deal, then its offers), changes, writes the audit entry, stores a ``DealEvent`` with the deal's next sequence
number and, on commit, sends it to the room and notifies the parties (in each recipient's language).

Modules: ``common`` (refusals, parties, locks, events, notices), ``deals`` (open, end), ``offers`` (versions,
acceptance, withdrawal, expiry), ``messages``. Callers import from ``negotiations.actions``.
"""

from negotiations.actions.agreements import (
    SignatureRefused,
    complete_deal,
    generate_agreement,
    record_standing_consent,
    retry_agreement,
    sign_agreement,
    signing_membership,
)
from negotiations.actions.common import (
    DealExists,
    ExclusivityConflict,
    Expired,
    OfferNotCurrent,
    StaleVersion,
    require_party,
    side_of,
)
from negotiations.actions.deals import end_deal, first_terms, open_deal
from negotiations.actions.grants import AlreadyClaimed, NotEligible, QuotaUsedUp, accept_open_licence, claim_donation
from negotiations.actions.messages import delete_message, edit_message, post_message
from negotiations.actions.offers import accept_offer, expire_due, make_offer, withdraw_offer

__all__ = [
    "SignatureRefused", "complete_deal", "generate_agreement", "record_standing_consent", "retry_agreement",
    "sign_agreement", "signing_membership",
    "AlreadyClaimed", "NotEligible", "QuotaUsedUp", "accept_open_licence", "claim_donation",
    "DealExists", "ExclusivityConflict", "Expired", "OfferNotCurrent", "StaleVersion", "accept_offer",
    "delete_message", "edit_message", "end_deal", "expire_due", "first_terms", "make_offer", "open_deal",
    "post_message", "require_party", "side_of", "withdraw_offer",
]
