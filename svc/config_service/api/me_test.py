def test_me_names_the_caller(client):
    assert client.get("/api/v1/me").json() == {"name": "anonymous", "scope": "admin", "application_ids": None}
