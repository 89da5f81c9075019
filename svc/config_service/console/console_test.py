"""The console in a real browser (headless Chromium through Selenium) against the real service
and database. Screenshots go to console/screenshots/ (git-ignored) at both viewport sizes."""

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
    area = find(driver, "#config")
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))", area, text
    )


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
    find(browser, "#sign-out").click()
    find(browser, "#token")
    screenshots(browser, "sign-in")
    assert browser.execute_script("return sessionStorage.getItem('token')") is None
