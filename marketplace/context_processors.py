from marketplace.models import Notification, Organisation


def navigation(request):
    """What the navigation bar needs: the user's organisations, what their roles allow, unread notifications."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_organisations": [], "nav_unread_count": 0}
    organisations = list(Organisation.objects.for_member(user).select_related("sme_profile"))
    pending = Organisation.objects.pending().count() if user.is_staff else 0
    disputes = _disputes_needing_attention() if user.is_staff else 0
    return {
        "nav_organisations": organisations,
        "nav_is_holder": any(o.is_patent_holder for o in organisations),
        "nav_is_sme": any(o.kind == "sme" for o in organisations),
        "nav_is_donor": any(o.is_demonstration for o in organisations),
        "nav_pending_count": pending,
        "nav_dispute_count": disputes,
        "nav_staff_count": pending + disputes,
        "nav_unread_count": Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
        # An accredited mediator (negotiations' mediation) finds their disputes in the account menu.
        "nav_is_mediator": not user.is_staff and _is_accredited_mediator(user),
    }


def _is_accredited_mediator(user) -> bool:
    from negotiations.models import MediatorAccreditation

    return MediatorAccreditation.objects.current().filter(user=user).exists()


def _disputes_needing_attention() -> int:
    """Unresolved disputes waiting for a mediator or whose first answer is overdue (the staff queue)."""
    from negotiations.mediation import needing_attention

    return needing_attention().count()
