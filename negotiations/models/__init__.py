"""Negotiations' models, one module per concern:

    deals       Deal, Offer (term-sheet versions), Message, Attachment, DealEvent
    agreements  Agreement (versions of a deal's licence agreement, its PDFs and hashes), Signature
    grants      DonationClaim (a donated licence claimed under a listing's quota)
    disputes    Dispute, MediationNote, MediatorAccreditation

Import from ``negotiations.models``.
"""

from negotiations.models.agreements import (  # noqa: F401
    Agreement,
    AgreementStatus,
    ImmutableAgreement,
    Signature,
    SignatureMethod,
)
from negotiations.models.deals import (  # noqa: F401
    ACTIVE_DEAL_STATES,
    EDIT_WINDOW_SECONDS,
    EXCLUSIVE_KINDS,
    FINAL_DEAL_STATES,
    HOLDING_DEAL_STATES,
    Attachment,
    Deal,
    DealEvent,
    DealOrigin,
    DealQuerySet,
    DealState,
    ImmutableOffer,
    Message,
    MessageQuerySet,
    Offer,
    OfferStatus,
    Side,
    _attachment_path,
    _attachment_storage,
)
from negotiations.models.disputes import (  # noqa: F401
    Dispute,
    DisputeCategory,
    DisputeOutcome,
    DisputeStatus,
    MediationNote,
    MediatorAccreditation,
    NoteVisibility,
)
from negotiations.models.grants import DonationClaim  # noqa: F401
