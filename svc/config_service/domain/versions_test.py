from config_service.domain.versions import ANY_VERSION, version_matches


def test_no_precondition_and_any_version_match_every_stored_version():
    assert version_matches(None, 7) and version_matches(ANY_VERSION, 7)
    assert repr(ANY_VERSION) == "ANY_VERSION"


def test_listed_versions_match_only_themselves():
    assert version_matches([3, 7], 7) and not version_matches([3], 7) and not version_matches([], 7)
