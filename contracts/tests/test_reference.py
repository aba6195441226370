from appeals_contracts.reference import LANGUAGES, load_reference


def test_reference_tables_are_complete():
    ref = load_reference()
    assert ref.districts.codes == {"alatau", "almaly", "auezov", "bostandyk", "zhetysu", "medeu", "nauryzbay", "turksib"}
    assert {"proposal", "statement", "complaint", "request", "response", "consultation"} == ref.appeal_kinds.codes
    assert {"contact_centre", "front_office", "portal", "mobile_app", "social_network", "email", "e_otinish", "open311"} == ref.channels.codes
    seed = {"social_aid", "city_entry_exit", "education", "benefits", "movement_within_city", "landscaping",
            "tree_cutting", "garbage_collection", "road_repair", "engineering_networks", "kindergarten_referral",
            "other_akimat_matters"}
    assert seed <= ref.categories.codes
    assert {"no_substance", "formal_reply", "wrong_competence", "no_legal_basis", "language"} == ref.return_reasons.codes
    assert "triage" in {e.attributes["kind"] for e in ref.executors.entries.values()}
    for table in (ref.districts, ref.appeal_kinds, ref.channels, ref.categories, ref.executors, ref.return_reasons):
        assert table.version >= 1
        for entry in table.entries.values():
            assert set(entry.names) == set(LANGUAGES) and all(entry.names.values())
