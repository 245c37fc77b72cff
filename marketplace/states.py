"""Status fields with explicit transition tables.

A status enum lists its allowed moves in ``TRANSITIONS``; ``check_transition`` raises
``IllegalTransition`` for anything else. Every app uses the same helper so that an illegal
move fails the same way everywhere.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _


class IllegalTransition(Exception):
    def __init__(self, field: str, current: str, target: str):
        self.field, self.current, self.target = field, current, target
        super().__init__(
            _("%(field)s cannot change from “%(current)s” to “%(target)s”.")
            % {"field": field, "current": current, "target": target}
        )


def check_transition(choices: type[models.TextChoices], current: str, target: str, field: str = "status") -> None:
    allowed = choices.TRANSITIONS.get(current, ())  # type: ignore[attr-defined]
    if target not in allowed:
        raise IllegalTransition(field, current, target)
