from api.feed_headers import change_seq_header


def test_a_change_names_its_seq_and_no_change_names_none():
    assert change_seq_header(12) == {"Change-Seq": "12"}
    assert change_seq_header(None) == {}
