from repositories.idempotency import IdempotencyRepository


def test_claim_record_and_replay(connection):
    keys = IdempotencyRepository(connection)
    assert keys.claim("k1", "a" * 64)
    keys.record("k1", 201, {"location": "/x"}, '{"id": 1}')
    assert not keys.claim("k1", "b" * 64)
    assert keys.stored("k1") == {"fingerprint": "a" * 64, "status": 201, "headers": {"location": "/x"},
                                 "body": '{"id": 1}'}
    assert keys.stored("k2") is None


def test_keys_older_than_a_day_are_purged_as_new_ones_come(connection):
    keys = IdempotencyRepository(connection)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES"
                       " ('old', %s, now() - interval '25 hours'), ('recent', %s, now() - interval '23 hours')",
                       ("a" * 64, "a" * 64))
    assert keys.claim("new", "b" * 64)
    assert keys.stored("old") is None and keys.stored("recent") is not None
    assert keys.claim("old", "c" * 64)
