"""A licensed skill (gas safety, electrical work) counts for dispatch only once a dispatcher has
reviewed it with a photo of the certificate: the photo goes through the media pipeline (re-encoded,
no metadata), a new photo needs a new review, and the reviewer sees it on the review page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from tests.conftest import client_for
from tests.hazards.images import jpeg_bytes, png_bomb, upload
from tests.security.test_review_gates import GAS, _holds_gas

pytestmark = pytest.mark.django_db


def send_certificate(user, skill="gas-safety", data=None):
    photo = upload("cert.jpg", data if data is not None else jpeg_bytes(size=(640, 480), gps=True))
    return client_for(user).post("/api/v1/volunteers/me/certificates/", {"skill": skill, "photo": photo})


def review(demo, volunteer):
    response = client_for(demo["dispatcher"]).post(f"/api/v1/volunteers/{volunteer.pk}/review-skills/", {}, "json")
    assert response.status_code == 200, response.content
    return {s["slug"]: s for s in response.json()["skills"]}


def test_a_licensed_skill_counts_only_once_reviewed_with_its_certificate_photo(
    demo, media_root, django_capture_on_commit_callbacks
):
    from volunteers.models import Volunteer, VolunteerSkill

    volunteer = Volunteer.objects.get(user=demo["vol3"])
    assert client_for(demo["vol3"]).patch("/api/v1/volunteers/me/", {"skills": GAS}, format="json").status_code == 200
    held = review(demo, volunteer)
    assert held["gas-safety"]["licensed"] is True
    assert held["gas-safety"]["reviewed"] is False and held["gas-safety"]["certificate_photo"] is False
    assert not _holds_gas(volunteer)  # the dispatcher's review cannot confirm it without the photo

    sent = send_certificate(demo["vol3"])
    assert sent.status_code == 200, sent.content
    mine = {s["slug"]: s for s in sent.json()["skills"]}["gas-safety"]
    assert mine["certificate_photo"] is True and mine["reviewed"] is False
    link = VolunteerSkill.objects.get(volunteer=volunteer, skill__slug="gas-safety")
    stored = Path(media_root) / link.certificate_photo.name
    with Image.open(stored) as image:  # re-encoded by the pipeline: a JPEG without the phone's EXIF/GPS
        assert image.format == "JPEG" and not image.getexif()
    assert not _holds_gas(volunteer)

    assert review(demo, volunteer)["gas-safety"]["reviewed"] is True
    assert _holds_gas(volunteer)

    # A new photo is a new claim to look at; the old file goes.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_certificate(demo["vol3"], data=jpeg_bytes(seed=9)).status_code == 200
    assert not _holds_gas(volunteer)
    assert not stored.exists()
    # Editing the claim keeps its photo: the next review confirms it again.
    later = [{**GAS[0], "certificate_no": "SELF-3"}]
    assert client_for(demo["vol3"]).patch("/api/v1/volunteers/me/", {"skills": later}, format="json").status_code == 200
    assert review(demo, volunteer)["gas-safety"]["reviewed"] is True


def test_an_unlicensed_skill_needs_the_review_only(demo):
    from volunteers.models import Volunteer
    from volunteers.selectors import with_valid_skill

    volunteer = Volunteer.objects.get(user=demo["vol3"])
    claims = [{"skill": "mediation"}]
    assert (
        client_for(demo["vol3"]).patch("/api/v1/volunteers/me/", {"skills": claims}, format="json").status_code == 200
    )
    assert review(demo, volunteer)["mediation"]["reviewed"] is True
    assert with_valid_skill(Volunteer.objects.all(), "mediation").filter(pk=volunteer.pk).exists()


@pytest.mark.parametrize(
    ("who", "skill", "data", "status", "field"),
    [
        ("vol3", "gas-safety", b"not an image at all", 400, "photo"),
        ("vol3", "gas-safety", png_bomb(), 400, "photo"),
        ("vol3", "water-rescue", None, 400, "skill"),  # a skill the volunteer does not claim
        ("resident1", "gas-safety", None, 404, None),  # no volunteer profile
    ],
)
def test_a_refused_certificate_photo_names_the_reason(demo, who, skill, data, status, field):
    from volunteers.models import Volunteer

    client_for(demo["vol3"]).patch("/api/v1/volunteers/me/", {"skills": GAS}, format="json")
    response = send_certificate(demo[who], skill=skill, data=data)
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["errors"]
    assert not Volunteer.objects.get(user=demo["vol3"]).skill_links.exclude(certificate_photo="").exists()


def test_anonymous_callers_cannot_send_certificates(demo):
    from rest_framework.test import APIClient

    response = APIClient().post("/api/v1/volunteers/me/certificates/", {"skill": "gas-safety"})
    assert response.status_code == 401


def test_the_reviewer_sees_the_certificate_photo_on_the_review_page(demo):
    from tests.factories import UserFactory
    from volunteers.clean import SkillClaim
    from volunteers.services import volunteer_apply

    community_id = demo["grid1"].grids.get().community_id
    with_photo, without_photo = UserFactory(), UserFactory()
    for user, phone in ((with_photo, "15800007001"), (without_photo, "15800007002")):
        volunteer_apply(
            actor=user, real_name="申请人", phone=phone, community_id=community_id, skills=[SkillClaim("gas-safety")]
        )
    page = Client()
    page.force_login(with_photo)
    me = page.get("/volunteers/me/").content.decode()
    assert 'action="/volunteers/me/certificate/"' in me and 'type="file"' in me  # the form is on the page
    sent = page.post(
        "/volunteers/me/certificate/", {"skill": "gas-safety", "photo": upload("c.jpg", jpeg_bytes(seed=4))}
    )
    assert sent.status_code == 302

    from volunteers.models import VolunteerSkill

    url = VolunteerSkill.objects.get(volunteer__user=with_photo).certificate_photo.url
    dispatcher = Client()
    dispatcher.force_login(demo["dispatcher"])
    html = dispatcher.get("/volunteers/approvals/").content.decode()
    assert f'src="{url}"' in html
    assert "证书照片" in html  # the alt text / the missing-photo note, in Chinese
    assert html.count("没有证书照片") >= 1  # the applicant who sent none is flagged
