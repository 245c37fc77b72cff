"""The unified social credit code (GB 32100-2015): 18 characters, check character by the standard's algorithm,
normalised input, one organisation per code; and the strictly parsed size setting for documents."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.urls import reverse

from marketplace import actions, uscc
from marketplace.env import Env
from marketplace.models import Organisation

pytestmark = pytest.mark.django_db

# Published codes of real organisations (business licences / registration certificates), each with its check char.
REAL_CODES = [
    "12100000400000624D",  # Tsinghua University (事业单位: 1 + 2)
    "914403001922038216",  # Huawei Technologies Co., Ltd. (enterprise: 9 + 1)
    "91330100716105852F",  # Alibaba (China) Co., Ltd.
    "9144030071526726XG",  # Shenzhen Tencent Computer Systems Co., Ltd. (an X inside the organisation code)
    "91110000802100433B",  # China Petroleum & Chemical Corporation (Sinopec)
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert uscc.problem(code) is None
    assert uscc.check_character(code[:17]) == code[17]
    uscc.validate_uscc(code)


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_other_check_character_is_refused(code):
    for char in uscc.CHARACTERS:
        if char != code[17]:
            assert "check character" in uscc.problem(code[:17] + char)


@pytest.mark.parametrize("bad, words", [
    ("12100000400000624", "18 characters; this one has 17"),
    ("12100000400000624DD", "18 characters; this one has 19"),
    ("12100000400000624I", "Character 18 (“I”) cannot appear"),
    ("9144030071526726OG", "Character 17 (“O”) cannot appear"),
    ("91A40300192203821X", "Characters 3 to 8"),
    ("914403001922038261", "check character"),  # two characters swapped: the check catches it
])
def test_bad_codes_say_what_is_wrong(bad, words):
    assert words in uscc.problem(bad)
    with pytest.raises(ValidationError):
        uscc.validate_uscc(bad)


def test_input_is_normalised_before_checking():
    assert uscc.normalise(" 9144 0300-1922 0382 16 ") == "914403001922038216"
    assert uscc.normalise("９１４４０３００１９２２０３８２１６") == "914403001922038216"  # full-width digits
    assert uscc.is_valid("9144030071526726xg")


def test_registration_form_checks_the_code(client, make_user):
    user = make_user("founder@example.com", email_verified=True)
    client.force_login(user)
    data = {"name": "Huawei (not really)", "kind": "enterprise", "province": "GD", "website": "",
            "credit_code": "914403001922038217", "registration_number": "", "description": ""}
    response = client.post(reverse("organisation_create"), data)
    assert response.status_code == 200
    assert "The check character (the 18th)" in response.content.decode()
    assert not Organisation.objects.filter(name="Huawei (not really)").exists()

    data["credit_code"] = "9144 0300 1922 0382 16"
    response = client.post(reverse("organisation_create"), data)
    assert response.status_code == 302
    assert Organisation.objects.get(name="Huawei (not really)").credit_code == "914403001922038216"


def test_a_code_belongs_to_one_organisation(owner):
    actions.create_organisation(actor=owner, name="First", kind="enterprise", credit_code="914403001922038216")
    with pytest.raises(actions.ActionError, match="already registered with the unified social credit code"):
        actions.create_organisation(actor=owner, name="Second", kind="enterprise", credit_code="914403001922038216")
    with pytest.raises(actions.ActionError, match="check character"):
        actions.create_organisation(actor=owner, name="Third", kind="enterprise", credit_code="914403001922038215")
    assert Organisation.objects.count() == 1


@pytest.mark.parametrize("raw, expected", [
    ("10485760", 10485760), ("10 MiB", 10 * 1024 ** 2), ("512KiB", 512 * 1024), ("2mb", 2_000_000), ("1 GiB", 1024 ** 3),
])
def test_size_setting_is_parsed_strictly(raw, expected):
    assert Env({"X": raw}).size("X", 1) == expected


@pytest.mark.parametrize("raw", ["10M", "1.5 MiB", "-1", "ten", "10 MiB extra", "0", "١٠ MiB"])
def test_bad_size_setting_stops_start_up(raw):
    with pytest.raises(ImproperlyConfigured, match="Environment variable X"):
        Env({"X": raw}).size("X", 1)


def test_size_setting_limits():
    with pytest.raises(ImproperlyConfigured, match="at most"):
        Env({"X": "2 GiB"}).size("X", 1, maximum=1024 ** 3)


def test_demo_organisations_have_valid_codes_and_the_pending_sme_is_blocked(db):
    from django.core.management import call_command

    from marketplace.verification import VerifiedOnly, blocked_reason

    call_command("load_demo")
    call_command("load_demo")  # still safe to run again
    for organisation in Organisation.objects.exclude(slug="nasa-technology-transfer"):
        assert organisation.credit_code and uscc.is_valid(organisation.credit_code), organisation.slug
    assert Organisation.objects.get(slug="nasa-technology-transfer").registration_number
    assert blocked_reason(Organisation.objects.get(slug="qingshan-agritech"), VerifiedOnly.REQUEST_LICENCE)
    assert blocked_reason(Organisation.objects.get(slug="lingxi-battery"), VerifiedOnly.REQUEST_LICENCE) is None


def test_create_organization_command_checks_the_code(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="check character"):
        call_command("create_organization", "Bad Code Co", "--kind", "sme", "--credit-code", "914403001922038217")
    call_command("create_organization", "Good Code Co", "--kind", "sme", "--credit-code", "914403001922038216")
    assert Organisation.objects.get(name="Good Code Co").credit_code == "914403001922038216"
