from config_service.repositories.changes import ChangeRepository

A, B, C = "01J0000000000000000000000A", "01J0000000000000000000000B", "01J0000000000000000000000C"


def test_changes_take_consecutive_seqs_and_are_read_back_by_filter(connection):
    changes = ChangeRepository(connection)
    changes.record(A, None, "create", 1)
    changes.record(A, C, "create", 1)
    assert changes.head() == 0  # recorded, not yet written: no counter lock taken
    changes.record(B, None, "create", 1)
    first, second, third = changes.flush()
    assert [first["seq"], second["seq"], third["seq"]] == [1, 2, 3] and changes.recorded == [first, second, third]
    assert first["changed_at"].tzinfo is not None
    assert [c["seq"] for c in changes.since(0, 10, None, 10)] == [1, 2, 3]
    assert [c["seq"] for c in changes.since(0, 10, A, 10)] == [1, 2]
    assert [c["seq"] for c in changes.since(1, 2, None, 10)] == [2]
    assert [c["seq"] for c in changes.since(0, 10, None, 1)] == [1]
    assert changes.head() == 3


def test_a_rolled_back_change_leaves_no_gap(connection):
    changes = ChangeRepository(connection)
    changes.record(A, None, "create", 1)
    changes.flush()
    connection.rollback()
    again = ChangeRepository(connection)
    again.record(A, None, "create", 1)
    assert changes.head() == 0 and again.flush()[0]["seq"] == 1


def test_a_flush_takes_the_counter_once_for_all_its_changes_and_leaves_nothing_pending(connection):
    changes = ChangeRepository(connection)
    for version in (1, 2, 3):
        changes.record(A, C, "update", version)
    assert [row["version"] for row in changes.flush()] == [1, 2, 3] and changes.head() == 3
    assert changes.flush() == changes.recorded and changes.head() == 3
