"""Data fix for patent numbers stored before leading zeros were kept (see ``listings.numbers``).

Until then every office but CN lost its leading zeros: ``EP0783622`` was stored as ``EP 783622``.
``fix_stored_numbers`` re-derives the canonical number where the rules can (EP: 7 digits) and leaves
the rest alone, saying which rows it could not decide (a JP or WO number whose zeros were dropped
cannot be restored without the original text: re-import it). ``manage.py fix_patent_numbers`` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from listings import numbers
from listings.models import Listing, Patent
from marketplace import audit


@dataclass
class FixResult:
    renumbered: list[tuple[str, str]] = field(default_factory=list)  # (before, after) display numbers
    clashes: list[tuple[str, str]] = field(default_factory=list)  # the fixed number is already taken
    listing_ids: list[int] = field(default_factory=list)


def fix_stored_numbers(*, dry_run: bool = False) -> FixResult:
    """The action: EP numbers of fewer than 7 digits get their leading zeros back (one audit entry
    per patent, the affected listings are re-indexed on commit)."""
    result = FixResult()
    with transaction.atomic():
        candidates = (Patent.objects.select_for_update().filter(office="EP", number__regex=r"^[0-9]{1,6}$")
                      .order_by("pk"))
        for patent in candidates:
            fixed = numbers.office_digits("EP", patent.number)
            before = patent.display_number
            if Patent.objects.filter(office="EP", number=fixed).exclude(pk=patent.pk).exists():
                result.clashes.append((before, f"EP {fixed}"))
                continue
            if dry_run:
                result.renumbered.append((before, f"EP {fixed}"))
                continue
            old = patent.number
            patent.number = fixed
            patent.save(update_fields=["number", "updated_at"])
            audit.record("patent.renumbered", target=patent, organisation=patent.owner,
                         before={"number": old}, after={"number": fixed, "reason": "leading zeros kept"})
            result.renumbered.append((before, patent.display_number))
            result.listing_ids += list(Listing.patents.through.objects.filter(patent_id=patent.pk)
                                       .values_list("listing_id", flat=True))
        if result.listing_ids and not dry_run:
            ids = sorted(set(result.listing_ids))

            def reindex():
                from listings import tasks
                from marketplace.tasks import enqueue

                enqueue(tasks.update_index, ids)

            transaction.on_commit(reindex, robust=True)
    return result
