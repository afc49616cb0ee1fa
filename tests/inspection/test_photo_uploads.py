"""Every sample photo through the HTTP upload, as a phone would send it."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from inspection.settings import Settings
from tests.conftest import DATA
from tests.inspection.city import seed, token
from tests.inspection.test_api import assignment_of, draw, inspection_body

PHOTOS = DATA / "photos"
MANIFEST = list(csv.DictReader(io.StringIO((PHOTOS / "manifest.csv").read_text("utf-8"))))
BROKEN = {"jpg/corrupted.jpg"}
Client = AsyncTestClient[Litestar]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, db=tmp_path / "x.db", media=tmp_path / "media",
                             secret="s" * 40, scheduler=False, photos_per_inspection=100)


@pytest.fixture
async def visit(client: Client, app: Litestar) -> tuple[str, dict[str, str]]:
    await seed(app.state.db)
    roster = await draw(client)
    inspector = await token(client, "insp1")
    body = inspection_body(assignment_of(roster, "XC-001"))
    assert (await client.post("/api/v1/inspections", json=body, headers=inspector)
            ).status_code == 201
    return body["id"], inspector


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and "sessions" not in p.parts}


async def put(client: Client, visit: tuple[str, dict[str, str]], data: bytes) -> Any:
    inspection_id, headers = visit
    digest = hashlib.sha256(data).hexdigest()
    return await client.put(f"/api/v1/inspections/{inspection_id}/photos/{digest}",
                            content=data, headers=headers)


@pytest.mark.parametrize("row", MANIFEST, ids=lambda r: r["path"])
async def test_every_sample_photo(client: Client, app: Litestar, settings: Settings,
                                  visit: tuple[str, dict[str, str]], row: dict[str, str]
                                  ) -> None:
    data = (PHOTOS / row["path"]).read_bytes()
    before = files(settings.media)
    response = await put(client, visit, data)
    if row["path"] in BROKEN:
        assert response.status_code == 422, response.text
        assert files(settings.media) == before
        assert await app.state.db.fetchval("SELECT COUNT(*) FROM photos") == 0
        return
    assert response.status_code == 201, response.text
    saved = response.json()
    leader = await token(client, "leader")
    original = await client.get(f"/api/v1/photos/{saved['id']}/original", headers=leader)
    assert original.content == data
    display = await client.get(f"/api/v1/photos/{saved['id']}/display", headers=leader)
    image = Image.open(io.BytesIO(display.content))
    assert image.format == "JPEG" and not image.getexif()
    # Upright: the display copy has the photo's upright aspect (width, height swapped by 5-8).
    if row["orientation"] in {"5", "6", "7", "8"} and row["path"].startswith("jpg/orientation"):
        stored_w, stored_h = (int(x) for x in row["pil"].split()[1].split("x"))
        assert (image.width > image.height) == (stored_h > stored_w)
    if row["gps"] == "True":
        assert saved["metadata"]["camera"]["gps_latitude"] is not None


async def test_heic_named_jpg_is_accepted(client: Client,
                                          visit: tuple[str, dict[str, str]]) -> None:
    data = (PHOTOS / "heic" / "mobile" / "iphone_13_pro_max.HEIC").read_bytes()
    response = await put(client, visit, data)
    assert response.status_code == 201 and response.json()["media_type"] == "image/heic"
    assert (response.json()["width"], response.json()["height"]) == (3024, 4032)


@pytest.mark.parametrize(("name", "data", "status"), [
    ("empty", b"", 422),
    ("text", "检查记录".encode() * 10, 415),
    ("half-jpeg", (PHOTOS / "jpg" / "gps" / "DSCN0010.jpg").read_bytes()[:20_000], 422),
])
async def test_hostile_uploads_leave_nothing(client: Client, app: Litestar, settings: Settings,
                                             visit: tuple[str, dict[str, str]], name: str,
                                             data: bytes, status: int) -> None:
    before = files(settings.media)
    response = await put(client, visit, data)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert files(settings.media) == before
    assert await app.state.db.fetchval("SELECT COUNT(*) FROM photos") == 0


async def test_leader_sees_where_a_far_photo_was_taken_and_the_enterprise_does_not(
        client: Client, visit: tuple[str, dict[str, str]]) -> None:
    # DSCN0010 was taken in Italy, some 8,000 km from the target in Xuchang.
    data = (PHOTOS / "jpg" / "gps" / "DSCN0010.jpg").read_bytes()
    assert (await put(client, visit, data)).status_code == 201
    inspection_id = visit[0]
    leader = await client.get(f"/inspections/{inspection_id}",
                              headers=await token(client, "leader"))
    assert "远离检查对象" in leader.text and "距登记位置" in leader.text
    enterprise = await client.get(f"/inspections/{inspection_id}",
                                  headers=await token(client, "acme"))
    assert enterprise.status_code == 200 and "远离检查对象" not in enterprise.text
