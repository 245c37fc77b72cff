"""`make demo` gives the demo SME needs with suggestions and reasons right away."""

import pytest
from django.core.management import call_command

from matching.models import Need, Suggestion


@pytest.mark.django_db(transaction=True)
def test_demo_sme_sees_suggestions_with_reasons(tmp_path, settings, capsys):
    settings.TASKS_MODE = "eager"
    call_command("load_demo")  # organisations, then (on commit) a slice of the listings and the needs
    call_command("load_demo_listings", limit=400)
    call_command("load_demo_needs")
    call_command("load_demo_needs")  # idempotent
    needs = Need.objects.filter(organisation__slug="lingxi-battery")
    assert needs.count() == 2
    english = needs.get(title="Longer-lasting lithium battery cathodes")
    suggestions = Suggestion.objects.filter(need=english)
    assert suggestions.exists()
    assert all(s.reasons for s in suggestions)
    assert "Demo needs:" in capsys.readouterr().out
