"""The console in a real browser (headless Chromium through Selenium) against the real service
and database. Screenshots go to console/screenshots/ (git-ignored) at both viewport sizes."""

import json
import shutil
import time
from pathlib import Path

import httpx
import pytest

from config_service.conftest import make_settings
from config_service.testing.live import live_app
from config_service.testing.tokens import bearer, make_token

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
)
SHOTS = Path(__file__).resolve().parent / "screenshots"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture
def service(database_url):
    settings = make_settings(database_url, auth="tokens")
    with live_app(settings) as (base, _):
        yield base, settings


def chromium(*extra_flags: str):
    """Headless Debian Chromium through chromedriver, at the desktop size."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-quic",
        *extra_flags,
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    driver.set_window_size(*SIZES["desktop"])
    return driver


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def wait(driver, condition, seconds=10):
    return WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: condition(d)
    )


def find(driver, css):
    return wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, css))


def text_of(driver, css):
    return find(driver, css).text


def sign_in(driver, base, token):
    driver.get(f"{base}/ui/")
    find(driver, "#token").send_keys(token)
    find(driver, "button[type=submit]").click()
    wait(driver, lambda d: "Applications" in d.find_element(By.TAG_NAME, "h1").text)


def screenshots(driver, name, focus=None):
    SHOTS.mkdir(exist_ok=True)
    for size, (width, height) in SIZES.items():
        driver.set_window_size(width, height)
        if focus:
            driver.execute_script("document.querySelector(arguments[0]).scrollIntoView()", focus)
        time.sleep(0.2)
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), (
            f"{name} scrolls sideways at {size}"
        )
        overflowing = driver.execute_script(
            "return [...document.querySelectorAll('#view button, #view td, #view th, #view h1, #view p')]"
            ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.tagName + ': ' + e.textContent.slice(0, 40))"
        )
        assert overflowing == [], f"{name} at {size}: {overflowing}"
        assert "null" not in driver.find_element(By.TAG_NAME, "body").text, f"{name} shows null at {size}"
        driver.save_screenshot(str(SHOTS / f"{name}-{size}.png"))
    driver.set_window_size(*SIZES["desktop"])


def set_config(driver, text):
    set_text(driver, "#config", text)


def set_text(driver, css, text):
    area = find(driver, css)
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))", area, text
    )


SCHEMA = {
    "type": "object",
    "properties": {
        "host": {"type": "string"},
        "port": {"type": "integer", "minimum": 1},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["host"],
}
STRICTER = {**SCHEMA, "properties": {**SCHEMA["properties"], "port": {"type": "integer", "maximum": 1024}}}


def configuration_with_schema(base, headers, config, schema=SCHEMA, name="database"):
    app_id = httpx.post(f"{base}/api/v1/applications", headers=headers, json={"name": f"app-{name}"}).json()["id"]
    created = httpx.post(
        f"{base}/api/v1/configurations",
        headers=headers,
        json={"application_id": app_id, "name": name, "config": config, "schema": schema},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def stored(base, headers, config_id):
    return httpx.get(f"{base}/api/v1/configurations/{config_id}", headers=headers).json()


def open_configuration(driver, base, config_id, version=1):
    driver.get(f"{base}/ui/#/configurations/{config_id}")
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#status").text == f"Version {version}")


def record_requests(driver, answer_validate_valid=False):
    """Keep what the page sends (method, url, parsed body) in window.sent; optionally answer every
    validate call with "valid" without asking the service (so that the PUT itself decides)."""
    driver.execute_script(
        """
        const answerValid = arguments[0];
        window.sent = [];
        const original = window.unrecordedFetch || window.fetch;
        window.unrecordedFetch = original;
        window.fetch = (url, options = {}) => {
          window.sent.push({url: String(url), method: options.method || "GET",
                            body: typeof options.body === "string" ? JSON.parse(options.body) : null});
          if (answerValid && String(url).endsWith("/validate")) {
            return Promise.resolve(new Response(JSON.stringify({valid: true, errors: []}),
                                                {status: 200, headers: {"Content-Type": "application/json"}}));
          }
          return original(url, options);
        };
        """,
        answer_validate_valid,
    )


def sent(driver, method, path_end=""):
    return [
        request["body"]
        for request in driver.execute_script("return window.sent")
        if request["method"] == method and request["url"].split("?")[0].endswith(path_end)
    ]


def marked(driver, editor):
    """The line numbers marked in an editor's gutter."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((line) => line.textContent)", f"#{editor}-gutter .mark"
    )


def problems(driver, editor, count):
    """The listed problems of an editor, once there are `count` of them."""
    css = f"#{editor}-errors li"
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, css)) == count)
    return sorted(item.text for item in driver.find_elements(By.CSS_SELECTOR, css))


def test_sign_in_create_edit_conflict_diff_and_restore(service, browser):
    base, settings = service
    sign_in(browser, base, make_token(settings, "alice", "admin"))
    find(browser, "#new-application").send_keys("billing")
    find(browser, "#create-application").click()
    find(browser, "#new-configuration").send_keys("database")
    find(browser, "#create-configuration").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#status").text == "Version 1")
    set_config(browser, '{\n  "host": "db1",\n  "port": }')
    find(browser, "#save").click()
    assert "line 3" in text_of(browser, "#config-error")  # the parse error, before anything is sent
    name = find(browser, "#name")
    name.clear()
    name.send_keys("   ")
    set_config(browser, '{"host": "db1"}')
    find(browser, "#save").click()
    wait(browser, lambda d: "blank" in d.find_element(By.ID, "name-error").text)  # the 422, next to its field
    name.clear()
    name.send_keys("database")
    find(browser, "#save").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#status").text == "Saved: version 2")
    screenshots(browser, "editor")

    config_id = browser.current_url.rsplit("/", 1)[1]
    bob = bearer(make_token(settings, "bob", "write"))
    changed = httpx.put(
        f"{base}/api/v1/configurations/{config_id}", headers=bob, json={"name": "database", "config": {"host": "db2"}}
    )
    assert changed.status_code == 200
    wait(browser, lambda d: "bob changed this configuration (version 3)" in d.find_element(By.ID, "banner").text)
    assert "db1" in find(browser, "#config").get_attribute("value")  # the edit in progress stays

    set_config(browser, '{"host": "db9"}')
    find(browser, "#save").click()
    wait(browser, lambda d: "bob saved version 3" in d.find_element(By.ID, "conflict").text)  # the writer, by name
    assert '"db9"' in text_of(browser, "#yours") and '"db2"' in text_of(browser, "#stored")
    paired = find(browser, "#conflict .diff .changed").text  # the key, its stored value and yours, on one line
    assert "config.host" in paired and '"db2"' in paired and '"db9"' in paired
    screenshots(browser, "conflict", "#conflict")
    find(browser, "#reload").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#status").text == "Version 3")

    picks = wait(
        browser,
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".pick")) == 3 and d.find_elements(By.CSS_SELECTOR, ".pick"),
    )
    picks[2].click()  # version 1
    picks[0].click()  # version 3
    wait(browser, lambda d: "Version 1 → version 3" in d.find_element(By.ID, "comparison").text)
    assert any('"db2"' in line.text for line in browser.find_elements(By.CSS_SELECTOR, "#comparison .added"))
    screenshots(browser, "diff", "#history")

    assert browser.find_elements(By.CSS_SELECTOR, "#comparison details.same")  # unchanged keys folded
    assert find(browser, "#history time").get_attribute("title")  # the exact time on hover
    browser.find_elements(By.CSS_SELECTOR, ".restore")[2].click()  # restore version 1
    confirmation = wait(browser, lambda d: d.switch_to.alert)
    assert "becomes version 4" in confirmation.text and "config.host" in confirmation.text
    confirmation.accept()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#status").text == "Version 4")
    assert httpx.get(f"{base}/api/v1/configurations/{config_id}", headers=bob).json()["config"] == {}
    browser.get(f"{base}/ui/#/")
    wait(browser, lambda d: "billing" in d.find_element(By.ID, "view").text)
    screenshots(browser, "list")


def test_a_hostile_name_shows_as_text_and_a_read_only_token_cannot_change_anything(service, browser):
    base, settings = service
    admin = bearer(make_token(settings, "alice", "admin"))
    hostile = "<img src=x onerror=alert(1)>"
    app_id = httpx.post(f"{base}/api/v1/applications", headers=admin, json={"name": hostile}).json()["id"]
    config_id = httpx.post(
        f"{base}/api/v1/configurations",
        headers=admin,
        json={"application_id": app_id, "name": hostile, "config": {"k": hostile}},
    ).json()["id"]
    sign_in(browser, base, make_token(settings, "reader", "read"))
    wait(browser, lambda d: hostile in d.find_element(By.ID, "view").text)
    assert "the read scope" in text_of(browser, "#read-only")  # why every control is greyed out
    screenshots(browser, "read-only")
    assert not browser.find_elements(By.CSS_SELECTOR, "#view img")
    assert not browser.find_elements(By.ID, "create-application")
    buttons = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#view tbody button"))
    assert len(buttons) == 2 and not any(button.is_enabled() for button in buttons)
    browser.get(f"{base}/ui/#/configurations/{config_id}")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == hostile)
    assert not find(browser, "#save").is_enabled() and not find(browser, "#delete").is_enabled()
    assert all(not button.is_enabled() for button in browser.find_elements(By.CSS_SELECTOR, ".restore"))
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text
    assert "token" not in browser.current_url and "cfg_" not in browser.current_url
    assert text_of(browser, "#schema-summary") == "(none)"
    assert "No schema" in find(browser, "#schema-note").get_attribute("textContent")  # inside the folded section
    assert not browser.find_elements(By.CSS_SELECTOR, "#schema-box:not([hidden])")  # nothing to show a reader

    limited = httpx.post(
        f"{base}/api/v1/configurations",
        headers=admin,
        json={"application_id": app_id, "name": "limits", "config": {"host": "db", "port": 80}, "schema": STRICTER},
    ).json()["id"]
    open_configuration(browser, base, limited)
    find(browser, "#schema-section summary").click()
    assert json.loads(find(browser, "#schema").get_attribute("value")) == STRICTER
    assert find(browser, "#schema").get_attribute("readonly") is not None
    set_config(browser, '{\n  "host": "db",\n  "port": 8080\n}')
    find(browser, "#check").click()  # a read token may ask whether a config would fit
    assert problems(browser, "config", 1) == ["line 3 config.port must be at most 1024"]
    assert "Does not pass" in text_of(browser, "#status")
    set_config(browser, '{"host": "db", "port": 8}')
    find(browser, "#check").click()
    wait(browser, lambda d: d.find_element(By.ID, "status").text == "Fits the schema (nothing saved).")
    assert marked(browser, "config") == [] and stored(base, admin, limited)["version"] == 1
    find(browser, "#sign-out").click()
    find(browser, "#token")
    screenshots(browser, "sign-in")
    assert browser.execute_script("return sessionStorage.getItem('token')") is None


def test_a_schema_shows_a_refused_edit_is_marked_and_not_written_and_a_fitting_one_saves(service, browser):
    base, settings = service
    admin = bearer(make_token(settings, "alice", "admin"))
    config_id = configuration_with_schema(base, admin, {"host": "db1", "port": 5432})
    sign_in(browser, base, make_token(settings, "carol", "write"))
    open_configuration(browser, base, config_id)
    assert "the config must fit it" in text_of(browser, "#schema-section summary")
    assert not find(browser, "#schema").is_displayed()  # folded until asked for
    find(browser, "#schema-section summary").click()
    assert json.loads(find(browser, "#schema").get_attribute("value")) == SCHEMA
    assert "must fit this JSON Schema" in text_of(browser, "#schema-note")
    assert marked(browser, "config") == [] and find(browser, "#config").get_attribute("aria-invalid") == "false"

    record_requests(browser)
    refused = '{\n  "host": "db1",\n  "port": 0,\n  "tags": [\n    "blue",\n    7\n  ]\n}'
    set_config(browser, refused)
    find(browser, "#save").click()
    assert problems(browser, "config", 2) == [
        "line 3 config.port must be at least 1",
        "line 6 config.tags[1] must be of type string",
    ]
    assert marked(browser, "config") == ["3", "6"]
    assert find(browser, "#config").get_attribute("aria-invalid") == "true"
    assert find(browser, "#config-problems").get_attribute("aria-live") == "polite"
    assert "Not saved: the config does not fit the schema (2 problems" in text_of(browser, "#status")
    assert sent(browser, "POST", "/validate") == [{"config": json.loads(refused)}]  # no schema: the stored one
    assert sent(browser, "PUT") == []
    assert stored(base, admin, config_id)["version"] == 1
    assert stored(base, admin, config_id)["config"] == {"host": "db1", "port": 5432}
    screenshots(browser, "schema-errors", "#config")

    next(b for b in browser.find_elements(By.CSS_SELECTOR, "#config-errors button") if b.text == "line 6").click()
    at = browser.execute_script(
        "return document.activeElement.id === 'config' && document.activeElement.selectionStart"
    )
    assert at is not False and refused[at : at + 1] == "7"  # the cursor on the item refused
    set_config(browser, '{\n  "host": "db1",\n  "note": "moved",\n' + refused[len('{\n  "host": "db1",\n') :])
    assert marked(browser, "config") == ["4", "7"]  # the marks follow their keys

    set_config(browser, '{\n  "host": "db2",\n  "port": 5433\n}')
    find(browser, "#save").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#status").text == "Saved: version 2")
    assert marked(browser, "config") == [] and not browser.find_elements(By.CSS_SELECTOR, "#config-errors li")
    assert find(browser, "#config").get_attribute("aria-invalid") == "false"
    now = stored(base, admin, config_id)
    assert (now["version"], now["config"], now["schema"]) == (2, {"host": "db2", "port": 5433}, SCHEMA)
    assert sent(browser, "POST", "/validate")[-1] == {"config": {"host": "db2", "port": 5433}}
    [put] = sent(browser, "PUT")
    assert "schema" not in put  # unchanged: left out, so the stored schema stays


def test_schema_edits_are_checked_and_marked_in_the_schema_editor_and_sent_only_when_changed(service, browser):
    base, settings = service
    admin = bearer(make_token(settings, "alice", "admin"))
    config_id = configuration_with_schema(base, admin, {"host": "db1", "port": 5432})
    sign_in(browser, base, make_token(settings, "carol", "write"))
    open_configuration(browser, base, config_id)
    record_requests(browser)
    find(browser, "#schema-section summary").click()

    broken = '{\n  "type": "object",\n  "properties": {\n    "port": {\n      "minimum": "one"\n    }\n  }\n}'
    set_text(browser, "#schema", broken)
    find(browser, "#save").click()
    [item] = problems(browser, "schema", 1)
    assert item.startswith("line 5 schema.properties.port.minimum is not valid draft 2020-12"), item
    assert marked(browser, "schema") == ["5"] and marked(browser, "config") == []
    assert find(browser, "#schema").get_attribute("aria-invalid") == "true"
    assert "Not saved: the schema is not one the service accepts" in text_of(browser, "#status")
    assert sent(browser, "POST", "/validate") == [
        {"config": {"host": "db1", "port": 5432}, "schema": json.loads(broken)}
    ]

    set_text(browser, "#schema", json.dumps(STRICTER, indent=2))
    find(browser, "#save").click()
    assert problems(browser, "config", 1) == ["line 3 config.port must be at most 1024"]
    assert marked(browser, "config") == ["3"] and marked(browser, "schema") == []
    assert sent(browser, "PUT") == [] and stored(base, admin, config_id)["version"] == 1

    set_config(browser, '{\n  "host": "db1",\n  "port": 1000\n}')
    find(browser, "#save").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#status").text == "Saved: version 2")
    assert sent(browser, "PUT")[-1]["schema"] == STRICTER
    assert stored(base, admin, config_id)["schema"] == STRICTER

    set_text(browser, "#schema", json.dumps(STRICTER))  # the same schema, written otherwise: not a change
    set_config(browser, '{"host": "db1", "port": 999}')
    find(browser, "#save").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#status").text == "Saved: version 3")
    assert "schema" not in sent(browser, "PUT")[-1]

    set_text(browser, "#schema", "")  # emptied: no schema any more
    find(browser, "#save").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#status").text == "Saved: version 4")
    assert sent(browser, "PUT")[-1]["schema"] is None
    assert stored(base, admin, config_id)["schema"] is None
    assert text_of(browser, "#schema-summary") == "(none)" and "No schema" in text_of(browser, "#schema-note")

    picks = wait(
        browser,
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".pick")) == 4 and d.find_elements(By.CSS_SELECTOR, ".pick"),
    )
    picks[1].click()  # version 3
    picks[0].click()  # version 4
    wait(browser, lambda d: "Version 3 → version 4" in d.find_element(By.ID, "comparison").text)
    removed = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#comparison .removed")]
    assert any("schema.properties.port.maximum" in row for row in removed), removed


def test_a_schema_changed_meanwhile_and_a_422_of_the_put_itself_are_marked_too(service, browser):
    base, settings = service
    admin = bearer(make_token(settings, "alice", "admin"))
    config_id = configuration_with_schema(base, admin, {"host": "db1", "port": 5432})
    sign_in(browser, base, make_token(settings, "carol", "write"))
    open_configuration(browser, base, config_id)
    tightened = httpx.put(
        f"{base}/api/v1/configurations/{config_id}",
        headers=admin,
        json={"name": "database", "config": {"host": "db1", "port": 80}, "schema": STRICTER},
    )
    assert tightened.status_code == 200
    wait(browser, lambda d: "alice changed this configuration (version 2)" in d.find_element(By.ID, "banner").text)
    record_requests(browser)
    set_config(browser, '{\n  "host": "db1",\n  "port": 5000\n}')
    find(browser, "#save").click()  # the check asks about the stored schema, not the one on screen
    assert problems(browser, "config", 1) == ["line 3 config.port must be at most 1024"]
    assert sent(browser, "PUT") == [] and stored(base, admin, config_id)["version"] == 2

    set_config(browser, '{\n  "host": "db1",\n  "port": 81\n}')  # fits both schemas: the PUT meets the 412
    find(browser, "#save").click()
    wait(browser, lambda d: "alice saved version 2" in d.find_element(By.ID, "conflict").text)
    find(browser, "#overwrite").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#status").text == "Saved: version 3")
    assert len(sent(browser, "PUT")) == 2 and all("schema" not in body for body in sent(browser, "PUT"))
    now = stored(base, admin, config_id)
    assert (now["version"], now["config"], now["schema"]) == (3, {"host": "db1", "port": 81}, STRICTER)
    assert json.loads(find(browser, "#schema").get_attribute("value")) == STRICTER  # the schema that stayed shows

    record_requests(browser, answer_validate_valid=True)  # the check passes: the PUT itself refuses
    set_config(browser, '{\n  "host": 5,\n  "port": 80\n}')
    find(browser, "#save").click()
    assert problems(browser, "config", 1) == ["line 2 config.host must be of type string"]
    assert marked(browser, "config") == ["2"]
    assert find(browser, "#config").get_attribute("aria-invalid") == "true"
    assert "Not saved: the config does not match its schema (1 problem" in text_of(browser, "#status")
    assert len(sent(browser, "PUT")) == 1 and stored(base, admin, config_id)["version"] == 3

    set_config(browser, '{"host": "db1", "port": 80}')
    set_text(browser, "#schema", '{\n  "type": 5\n}')
    find(browser, "#save").click()
    [item] = problems(browser, "schema", 1)
    assert item.startswith("line 2 schema.type is not valid draft 2020-12"), item
    assert marked(browser, "schema") == ["2"] and marked(browser, "config") == []
    assert find(browser, "#schema-section").get_attribute("open") is not None  # unfolded to show it
    assert len(sent(browser, "PUT")) == 2 and stored(base, admin, config_id)["version"] == 3
