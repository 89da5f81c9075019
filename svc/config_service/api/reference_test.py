import re

import pytest

from config_service.api.reference import REDOC_SECURITY, SWAGGER_SECURITY
from config_service.conftest import make_settings
from config_service.testing.live import live_app

ASSETS = (
    "/reference/swagger-ui-bundle.js",
    "/reference/swagger-ui.css",
    "/reference/swagger-init.js",
    "/reference/redoc.standalone.js",
)


def test_the_reference_pages_and_their_assets_come_from_the_service_under_the_consoles_policy(client):
    for path in ("/docs", "/redoc", *ASSETS):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        pages = {"/docs": SWAGGER_SECURITY, "/redoc": REDOC_SECURITY}
        expected = pages[path]["content-security-policy"] if path in pages else "default-src 'self'"
        assert policy == expected, path
        assert "script-src" not in policy  # scripts from the service only, on every page
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "<script>" not in html and not re.search(r"(src|href)=\"https?:", html), page
    assert "SwaggerUIBundle" in client.get("/reference/swagger-init.js").text


def test_the_root_leads_to_the_console(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/ui/"


webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from config_service.console.console_test import CHROMEDRIVER, CHROMIUM, chromium, wait  # noqa: E402


@pytest.fixture
def offline_browser():
    """Headless Chromium that can reach 127.0.0.1 and nothing else: no name resolves."""
    driver = chromium("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
    yield driver
    driver.quit()


@pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromium-driver (.ci/run installs them)"
)
def test_both_references_render_with_the_network_cut(database_url, offline_browser):
    with live_app(make_settings(database_url)) as (base, _):
        with pytest.raises(WebDriverException, match="ERR_NAME_NOT_RESOLVED"):  # the cut is real
            offline_browser.get("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js")
        offline_browser.get(f"{base}/docs")
        wait(offline_browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) > 20, 20)
        assert "Create an application" in offline_browser.find_element(By.ID, "swagger-ui").text
        offline_browser.get(f"{base}/redoc")
        wait(offline_browser, lambda d: "Create an application" in d.find_element(By.TAG_NAME, "body").text, 20)
