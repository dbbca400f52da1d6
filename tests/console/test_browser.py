"""The console in a real headless Chromium (Debian's chromium + chromium-driver, driven by
Selenium): log in, filter, open an inspection, download the signed minutes and verify them,
record a report-back and accept it, export XLSX and read it back, log out. Every page is
written as a PNG at 1366 px wide under build/screenshots/console/ (looked at by a person)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from inspector.signing import Verdict
from inspector.signing.verify import verify_pdf
from tests.console.conftest import PASSWORD, Office

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "console"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1366,900", "--lang=vi-VN"]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[tuple[WebDriver, Path]]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False,
                                              "safebrowsing.enabled": False})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver, downloads
    finally:
        driver.quit()


def shot(driver: WebDriver, name: str) -> None:
    """A full-page PNG at 1366 px wide (the window grows to the page's height)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1366, min(max(height + 120, 768), 6000))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1366, 900)
    width = int(driver.execute_script("return document.documentElement.scrollWidth"))
    assert width <= 1366, f"{name}: the page is {width} px wide at 1366"


def follow(driver: WebDriver, element: WebElement) -> None:
    """Click what leads to another page and wait until that page replaced this one."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(old))


def wait_file(folder: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if done:
            time.sleep(0.2)
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} downloaded: {list(folder.iterdir())}")


def login(driver: WebDriver, office: Office, name: str) -> None:
    driver.get(office.url + "/")
    assert "/login" in driver.current_url
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    follow(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Tổng quan")


def test_office_work_in_a_real_browser(office: Office, browser: tuple[WebDriver, Path]) -> None:
    driver, downloads = browser
    driver.get(office.url + "/login")
    shot(driver, "01-login")
    login(driver, office, "clerk")
    shot(driver, "02-dashboard")

    # filter the list: regime, then open the signed inspection
    follow(driver, driver.find_element(By.LINK_TEXT, "Đợt kiểm tra"))
    shot(driver, "03-inspections")
    Select(driver.find_element(By.ID, "f-status")).select_by_value("sealed")
    follow(driver, driver.find_element(By.XPATH, "//form[contains(@class,'filters')]//button"))
    rows = driver.find_elements(By.CSS_SELECTOR, "table.list tbody tr")
    assert len(rows) == 1 and "12/QĐ-ĐKT" in rows[0].text
    follow(driver, rows[0].find_element(By.TAG_NAME, "a"))
    verdict = driver.find_element(By.CSS_SELECTOR, ".verdict")
    assert verdict.get_attribute("data-verdict") == "valid_trusted", verdict.text
    shot(driver, "04-inspection")

    # download the signed minutes and verify them here, against the same root
    driver.find_element(By.LINK_TEXT, "Tải văn bản (PDF)").click()
    pdf = wait_file(downloads, ".pdf")
    from cryptography import x509

    report = verify_pdf(pdf.read_bytes(), [x509.load_pem_x509_certificate(office.root_pem)])
    assert report.verdict is Verdict.VALID_TRUSTED

    # report-back with a file, then accept
    follow(driver, driver.find_element(By.LINK_TEXT, "Yêu cầu khắc phục"))
    follow(driver, driver.find_element(By.LINK_TEXT, "Quá hạn"))
    shot(driver, "05-requirements-overdue")
    follow(driver, driver.find_element(By.CSS_SELECTOR, "table.list tbody a"))
    attachment = downloads.parent / "bao-cao-khac-phuc.txt"
    attachment.write_text("Đơn vị đã chấn chỉnh, kèm danh sách cán bộ.", encoding="utf-8")
    driver.find_element(By.ID, "report-text").send_keys("Đơn vị đã khắc phục xong ngày hôm qua.")
    driver.find_element(By.ID, "report-files").send_keys(str(attachment))
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Ghi báo cáo']"))
    assert driver.find_element(By.ID, "state").text == "Đã báo cáo, chờ xét"
    assert driver.find_element(By.LINK_TEXT, "bao-cao-khac-phuc.txt")
    shot(driver, "06-requirement-reported")
    follow(driver, driver.find_element(By.XPATH, "//button[@value='accepted']"))
    assert driver.find_element(By.ID, "state").text == "Đã chấp nhận"

    # statistics: a bar leads to the inspections behind it
    follow(driver, driver.find_element(By.LINK_TEXT, "Thống kê"))
    shot(driver, "07-statistics")
    follow(driver, driver.find_element(By.CSS_SELECTOR, "svg.chart a"))
    assert "/inspections?" in driver.current_url
    assert driver.find_elements(By.CSS_SELECTOR, "table.list tbody tr td a")

    # export XLSX and read it back
    driver.get(office.url + "/inspections")
    driver.find_element(By.LINK_TEXT, "Xuất XLSX").click()
    book = load_workbook(wait_file(downloads, ".xlsx"), read_only=True)
    rows_read = list(book.active.iter_rows(values_only=True))
    assert rows_read[0][0] == "Số quyết định"
    assert any(r[0] == "12/QĐ-ĐKT" for r in rows_read[1:])

    follow(driver, driver.find_element(By.LINK_TEXT, "Thiết bị"))
    shot(driver, "08-devices")
    follow(driver, driver.find_element(By.LINK_TEXT, "Danh mục"))
    shot(driver, "09-catalogs")

    follow(driver, driver.find_element(By.XPATH, "//button[text()='Đăng xuất']"))
    assert "/login" in driver.current_url
    driver.get(office.url + "/inspections")
    assert "/login" in driver.current_url


def test_admin_pages_in_a_real_browser(office: Office, browser: tuple[WebDriver, Path]) -> None:
    driver, _ = browser
    # keyboard only: the name field has the focus, Tab to the password, Enter submits
    driver.get(office.url + "/")
    assert driver.switch_to.active_element.get_attribute("id") == "username"
    html = driver.find_element(By.TAG_NAME, "html")
    driver.switch_to.active_element.send_keys("admin", Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "password"
    driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(html))
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Tổng quan")
    driver.switch_to.active_element.send_keys(Keys.TAB)  # the first stop skips to the content
    assert driver.switch_to.active_element.text == "Chuyển đến nội dung chính"
    driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.text == "Tổng quan"  # then the navigation, in order
    follow(driver, driver.find_element(By.LINK_TEXT, "Thiết bị"))
    driver.find_element(By.ID, "token-team").send_keys("doan-3")
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Cấp mã đăng ký thiết bị']"))
    assert len(driver.find_element(By.ID, "enroll-token").text) > 20
    shot(driver, "10-devices-token")
    follow(driver, driver.find_element(By.LINK_TEXT, "Nhật ký"))
    assert "device.token" in driver.page_source
    shot(driver, "11-audit")
    driver.get(office.url + "/password")
    shot(driver, "12-password")
    found = office.server.call(lambda c: c.store.conn.execute(
        "SELECT e.inspection_id FROM evidence e JOIN blobs b ON b.sha256 = e.sha256 AND b.state = 'ok'"
        " WHERE e.media_type LIKE 'image/%' AND e.removed = 0 LIMIT 1").fetchone())
    assert found, "the demo's photos reached the server"
    driver.get(f"{office.url}/inspections/{found[0]}")
    images = driver.find_elements(By.CSS_SELECTOR, ".thumbs img")
    assert images
    for image in images:  # lazily loaded: bring each into view
        driver.execute_script("arguments[0].scrollIntoView()", image)
        WebDriverWait(driver, 20).until(lambda d, i=image: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", i), "thumbnails load under the CSP")
    shot(driver, "13-inspection-evidence")
    driver.get(f"{office.url}/statistics?period=2026")
    follow(driver, driver.find_elements(By.CSS_SELECTOR, "svg.chart")[3].find_element(By.TAG_NAME, "a"))
    assert "unit=" in driver.current_url
    shot(driver, "14-inspections-of-a-unit")
