from config_service.repositories.idempotency import IdempotencyRepository


def test_claim_record_and_replay(connection):
    keys = IdempotencyRepository(connection)
    assert keys.claim("t1", "k1", "a" * 64)
    keys.record("t1", "k1", 201, {"location": "/x"}, '{"id": 1}')
    assert not keys.claim("t1", "k1", "b" * 64)
    assert keys.stored("t1", "k1") == {
        "fingerprint": "a" * 64,
        "status": 201,
        "headers": {"location": "/x"},
        "body": '{"id": 1}',
    }
    assert keys.stored("t1", "k2") is None


def test_keys_belong_to_their_token(connection):
    keys = IdempotencyRepository(connection)
    assert keys.claim("t1", "k1", "a" * 64) and keys.claim("t2", "k1", "b" * 64)
    assert keys.stored("t2", "k1")["fingerprint"] == "b" * 64


def test_keys_older_than_a_day_are_purged_as_new_ones_come(connection):
    keys = IdempotencyRepository(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO idempotency_keys (token_id, key, fingerprint, created_at) VALUES"
            " ('t1', 'old', %s, now() - interval '25 hours'),"
            " ('t1', 'recent', %s, now() - interval '23 hours')",
            ("a" * 64, "a" * 64),
        )
    assert keys.claim("t1", "new", "b" * 64)
    assert keys.stored("t1", "old") is None and keys.stored("t1", "recent") is not None
    assert keys.claim("t1", "old", "c" * 64)
