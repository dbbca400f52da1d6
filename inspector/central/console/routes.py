"""The console's URLs, mounted by `central.app.create_app` next to the device API."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from inspector.central.console import admin_pages, files, followup_pages, login, pages, report
from inspector.central.console.web import Ctx, console_dir, page


async def _favicon(_: object) -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


def console_routes() -> list[BaseRoute]:
    return [
        Route("/login", login.login_page, methods=["GET"]),
        Route("/login", login.login_submit, methods=["POST"]),
        Route("/logout", page(login.logout), methods=["POST"]),
        Route("/password", page(login.password_page), methods=["GET", "POST"]),
        Route("/", page(pages.dashboard), methods=["GET"]),
        Route("/inspections", page(pages.inspections), methods=["GET"]),
        Route("/inspections/{inspection_id}", page(pages.inspection), methods=["GET"]),
        Route("/inspections/{inspection_id}/documents/{document_id}", page(files.document_file), methods=["GET"]),
        Route("/inspections/{inspection_id}/evidence/{sha256}", page(files.evidence_file), methods=["GET"]),
        Route("/requirements", page(followup_pages.requirements), methods=["GET"]),
        Route("/requirements/{requirement_id}", page(followup_pages.requirement), methods=["GET"]),
        Route("/requirements/{requirement_id}", page(followup_pages.requirement_action, role="clerk", upload=True),
              methods=["POST"]),
        Route("/requirements/{requirement_id}/files/{sha256}", page(files.report_file), methods=["GET"]),
        Route("/statistics", page(pages.statistics), methods=["GET"]),
        Route("/devices", page(_devices), methods=["GET"]),
        Route("/devices/token", page(admin_pages.enroll_token, role="admin"), methods=["POST"]),
        Route("/devices/file", page(admin_pages.enroll_file, role="admin"), methods=["POST"]),
        Route("/devices/{device_id}/revoke", page(admin_pages.revoke, role="admin"), methods=["POST"]),
        Route("/catalogs", page(_catalogs), methods=["GET"]),
        Route("/catalogs", page(admin_pages.publish, role="admin", upload=True), methods=["POST"]),
        Route("/audit", page(admin_pages.audit_log, role="admin"), methods=["GET"]),
        Route("/export/{name}.xlsx", page(files.export), methods=["GET"]),
        Route("/report.xlsx", page(report.report_xlsx), methods=["GET"]),
        Route("/report.pdf", page(report.report_pdf), methods=["GET"]),
        Route("/favicon.ico", _favicon, methods=["GET"]),
        Mount("/static", StaticFiles(directory=console_dir() / "static"), name="static"),
    ]


async def _devices(ctx: Ctx) -> Response:
    return await admin_pages.devices(ctx)


async def _catalogs(ctx: Ctx) -> Response:
    return await admin_pages.catalogs(ctx)
