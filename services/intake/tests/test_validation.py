from dataclasses import replace

import pytest

from appeals_intake.bootstrap import catalog_from_reference
from appeals_intake.domain.model import Contact, SubmitAppeal
from appeals_intake.domain.validation import normalise_phone, validate

CATALOG = catalog_from_reference()
OK = SubmitAppeal(channel="contact_centre", channel_message_id="cc-1", kind="complaint", category="road_repair",
                  text="Large pothole near the school on Abai avenue.", language="ru", district="bostandyk",
                  citizen=Contact(name="Aigerim", iin="900101300007", phone="8 701 123 45 67"))


def fields(cmd):
    return {r.field for r in validate(cmd, CATALOG)}


def test_a_complete_submission_is_valid():
    assert validate(OK, CATALOG) == []


@pytest.mark.parametrize(("change", "field"), [
    (dict(channel="fax"), "channel"),
    (dict(kind="petition"), "kind"),
    (dict(category="weather"), "category"),
    (dict(district="astana"), "district"),
    (dict(text="too short"), "text"),
    (dict(text="x" * 10_001), "text"),
    (dict(language="de"), "language"),
    (dict(channel_message_id=" "), "channel_message_id"),
    (dict(social_network="telegram"), "social_network"),
    (dict(channel="social_network"), "social_network"),
    (dict(citizen=None), "citizen"),
    (dict(citizen=Contact(name="A", iin="900101300008", phone="+77011234567")), "citizen.iin"),
    (dict(citizen=Contact(name="A", phone="123")), "citizen.phone"),
    (dict(citizen=Contact(name="A", email="a@")), "citizen.email"),
    (dict(citizen=Contact(name="A", phone="+77011234567", preferred_language="fr")), "citizen.preferred_language"),
    (dict(citizen=Contact(phone="+77011234567")), "citizen.name"),
    (dict(citizen=Contact(name="A")), "citizen"),
    (dict(anonymous=True), "citizen"),
])
def test_each_problem_names_its_field(change, field):
    assert field in fields(replace(OK, **change))


def test_anonymous_without_contact_is_valid():
    assert validate(replace(OK, anonymous=True, citizen=None), CATALOG) == []


def test_a_name_is_enough_where_the_reply_goes_back_in_the_channel():
    cmd = replace(OK, channel="social_network", social_network="instagram", citizen=Contact(name="A"))
    assert validate(cmd, CATALOG) == []


def test_all_problems_are_reported_at_once():
    assert fields(replace(OK, kind="x", category="y", language="z")) == {"kind", "category", "language"}


def test_kazakh_numbers_are_normalised_to_e164():
    assert normalise_phone("8 (701) 123-45-67") == "+77011234567"
    assert normalise_phone("+7 727 250 00 00") == "+77272500000"
    assert normalise_phone("12") is None
