def test_the_console_is_served_without_a_token_under_a_strict_policy(client):
    for path in ("/ui/", "/ui/app.js", "/ui/app.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == "default-src 'self'"
    assert '<script src="app.js"' in client.get("/ui/").text
    assert client.get("/ui/missing.js").status_code == 404
