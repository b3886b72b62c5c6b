"""The public portal mounted in the back-office app: /public answers without sign-in, and the
portal's staff API uses the back office's session (roles, CSRF)."""

from __future__ import annotations

import pytest

from web_helpers import client_for, csrf_from, make_world, sign_in


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


POLICY = {
    "kind": "policy",
    "title": "高龄补贴政策",
    "body": "年满80周岁的本县户籍老人每月100元。",
    "eligibility": "户籍在本县；年满80周岁。",
}


def _token(client) -> str:  # type: ignore[no-untyped-def]
    return csrf_from(client.get("/data").text)


def test_public_pages_answer_without_sign_in(world):
    client = client_for(world)
    r = client.get("/public/")
    assert r.status_code == 200 and "阳光" in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]  # the portal's own


def test_back_office_links_to_the_portal(world):
    page = sign_in(client_for(world), "data").get("/data")
    assert 'data-testid="public-portal-link"' in page.text and 'href="/public/"' in page.text


def test_staff_publication_api_uses_the_back_office_session(world):
    officer = sign_in(client_for(world), "data")
    token = _token(officer)
    assert officer.post("/api/v1/publications", json=POLICY).status_code == 403  # no CSRF
    r = officer.post("/api/v1/publications", json=POLICY, headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text
    version = r.json()
    assert version["created_by"] == "data"
    # The creator may not approve their own version: another officer (the administrator) does.
    r = officer.post(
        f"/api/v1/publications/versions/{version['id']}/approve", headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 403 and "审批人不能是起草人本人" in r.text
    admin = sign_in(client_for(world), "admin")
    admin_token = csrf_from(admin.get("/dashboard").text)
    for step in ("approve", "publish"):
        r = admin.post(
            f"/api/v1/publications/versions/{version['id']}/{step}",
            headers={"X-CSRF-Token": admin_token},
        )
        assert r.status_code == 200, r.text
    public = client_for(world).get(f"/public/disclosures/{version['publication_id']}")
    assert public.status_code == 200 and "年满80周岁。" in public.text


def test_staff_publication_api_refuses_supervisors_and_strangers(world):
    assert client_for(world).get("/api/v1/publications").status_code == 401
    supervisor = sign_in(client_for(world), "sup_a")
    token = csrf_from(supervisor.get("/warnings").text)
    r = supervisor.post("/api/v1/publications", json=POLICY, headers={"X-CSRF-Token": token})
    assert r.status_code == 403
    assert supervisor.get("/api/v1/publications").status_code == 403
    # Complaints are theirs to read.
    assert supervisor.get("/api/v1/complaints").status_code == 200
