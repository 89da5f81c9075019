def test_tokens_answer_with_auth_off_as_the_anonymous_admin(client):
    created = client.post("/api/v1/tokens", json={"name": "ci", "scope": "read"})
    assert created.status_code == 201 and created.json()["token"].startswith("cfg_")
    assert created.headers["location"] == f"/api/v1/tokens/{created.json()['id']}"
    assert [t["name"] for t in client.get("/api/v1/tokens").json()] == ["ci"]
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 204
    assert client.get("/api/v1/tokens").json()[0]["revoked_at"] is not None
