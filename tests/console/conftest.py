"""The office console against a real central server on loopback: a laptop (real workspace) with
the demo's inspections and one inspection whose minutes are signed with the fixture PKI, enrolled
in team "doan-1" and synced over HTTP; staff accounts of every role; the PKI's root in the
server's trust store. Built once per module (argon2, signing and sync are not free), once on each
backend: `backend` and `make_database` are module-scoped here (tests/central/fixtures.py's, widened),
so every module runs against SQLite and against a real PostgreSQL."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from PIL import Image, ImageDraw

from inspector.central.console.accounts import Accounts
from inspector.demo import load_demo
from inspector.ops import inline_committer
from inspector.services.document_content import MinutesDetails
from inspector.services.documents import Pkcs12Credential, SignerPlan
from inspector.services.requirements import RequirementSpec
from inspector.store.db import Store
from inspector.workspace import Services, Workspace
from tests.central.fixtures import BACKENDS, DatabaseFactory, database_factory
from tests.factories import make_inspection
from tests.signing.pki import PASSPHRASE, make_pki
from tests.sync.harness import LiveServer

PASSWORD = "mat-khau-van-phong-2026"
USERS = {  # name: (role, team)
    "admin": ("admin", None),
    "clerk": ("clerk", "doan-1"),
    "viewer": ("viewer", None),
    "other": ("clerk", "doan-2"),
}


@dataclass
class Office:
    server: LiveServer
    signed_inspection: str
    signed_document: str
    root_pem: bytes
    root: Path  # laptops' data directories: root / "demo", "signed", "other"
    clients: list[httpx.Client] = field(default_factory=list)  # closed with the server
    readers: list[Store] = field(default_factory=list)  # closed with the server

    @property
    def url(self) -> str:
        return self.server.url

    def client(self) -> httpx.Client:
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)
        self.clients.append(client)
        return client

    def reader(self) -> sqlite3.Connection:
        """A read-only connection to the server's database (either backend), closed with the server."""
        store = self.server.database.open(read_only=True)
        self.readers.append(store)
        return store.conn

    def login(self, name: str, password: str = PASSWORD) -> httpx.Client:
        client = self.client()
        form = client.get("/login")
        token = csrf_of(form.text)
        answer = client.post("/login", data={"username": name, "password": password, "csrf": token, "next": "/"})
        assert answer.status_code == 303, answer.text[:400]
        return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1)


def _drawn() -> bytes:
    image = Image.new("RGBA", (300, 150), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 120), (80, 20), (150, 110), (290, 30)], fill=(20, 40, 200, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def signed_minutes(s: Services, p12: Path) -> tuple[str, str]:
    insp = make_inspection(s, subjects=3)
    s.inspections.start(insp.id, "2026-11-03T01:30:00Z")
    checklist = s.ctx.checklist(insp.summary.checklist_id, insp.summary.checklist_version)
    for n, subject in enumerate(insp.subjects):
        for i, item in enumerate(checklist.items):
            level = (n + 1) if i == n else 0
            s.findings.record(insp.id, item.code, subject.id, level=level, note=f"Nhận xét số {n + 1}" if level else "")
    s.inspections.set_explanation(insp.id, "Đơn vị tiếp thu và cam kết khắc phục.")
    s.inspections.finish(insp.id, "2026-11-03T04:10:00Z")
    s.documents.set_minutes_details(insp.id, MinutesDetails(
        unit_representatives=(("Phạm Văn Bình", "Phó Chủ tịch UBND phường", "Ông"),),
        strengths="Chấp hành tốt giờ giấc."))
    plans = [SignerPlan("unit_rep", drawn_png=_drawn()),
             SignerPlan("leader", credential=Pkcs12Credential(p12, PASSPHRASE), drawn_png=_drawn())]
    doc = s.documents.issue(insp.id, "minutes", plans, committer=inline_committer(s))
    for n, days in enumerate((-3, 10, 40), start=1):  # overdue, due within 14 days, later
        deadline = (date.today() + timedelta(days=days)).isoformat()
        s.requirements.add(insp.id, RequirementSpec(f"Chấn chỉnh nội dung số {n}", "Chủ tịch UBND phường", deadline,
                                                    deadline))
    return insp.id, doc.id


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def make_database(backend: str, request: pytest.FixtureRequest) -> Iterator[DatabaseFactory]:
    yield from database_factory(backend, request)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, backend: str, make_database: DatabaseFactory) -> Iterator[Office]:
    root = tmp_path_factory.mktemp("console")
    pki = make_pki()
    p12 = root / "signer.p12"
    p12.write_bytes(pki.signer.pkcs12(PASSPHRASE))
    with LiveServer(root / "server", database=make_database(root / "server")) as server:
        assert server.central.database.postgres == (backend == "postgresql")
        trust = root / "server" / "trust"
        trust.mkdir()
        pem = pki.root.cert.public_bytes(serialization.Encoding.PEM)
        (trust / "root.pem").write_bytes(pem)
        for laptop, team in (("demo", "doan-1"), ("signed", "doan-1"), ("other", "doan-2")):
            ws = Workspace.open(root / laptop)
            try:
                if laptop == "signed":
                    inspection_id, document_id = signed_minutes(ws.services, p12)
                else:
                    load_demo(ws.services, inspections=8 if laptop == "demo" else 2, photos=1, seed=len(laptop))
                server.enroll(ws, team)
                ws.services.sync.sync()
            finally:
                ws.close()
        accounts = Accounts(server.central.clock)
        for name, (role, team) in USERS.items():
            server.call(lambda c, n=name, r=role, t=team: accounts.add(c.store, n, PASSWORD, r, t, f"Cán bộ {n}"))
        office = Office(server, inspection_id, document_id, pem, root)
        yield office
        for client in office.clients:
            client.close()
        for store in office.readers:
            store.close()
