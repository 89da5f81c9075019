from config_service.conftest import make_settings
from config_service.main import create_app


def test_openapi_declares_the_bearer_scheme_and_each_operations_scope():
    spec = create_app(make_settings("postgresql://postgres@127.0.0.1:1/none")).openapi()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    scopes = {
        (method, path): op["x-required-scope"]
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/v1")
    }
    assert scopes[("get", "/api/v1/configurations/{id}")] == "read"
    assert scopes[("put", "/api/v1/configurations/{id}")] == "write"
    assert scopes[("post", "/api/v1/tokens")] == "admin"
    assert "security" not in spec["paths"]["/health"]["get"]
    assert "`admin` scope" in spec["paths"]["/api/v1/tokens"]["get"]["description"]
