from tests.console.conftest import Office


def test_pages(office: Office) -> None:
    c = office.login("admin")
    for url in ["/", "/inspections", f"/inspections/{office.signed_inspection}", "/requirements", "/statistics",
                "/devices", "/catalogs", "/audit", "/export/inspections.xlsx", "/report.xlsx", "/report.pdf",
                f"/inspections/{office.signed_inspection}/documents/{office.signed_document}"]:
        r = c.get(url)
        print(url, r.status_code, len(r.content))
        assert r.status_code == 200, r.text[:2000]
