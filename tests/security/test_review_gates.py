"""Issue 21 item 5: a volunteer cannot certify themselves into dispatch's ranking; a dispatcher's
review (approving the application, or setting the skills) is what makes a skill count."""

from __future__ import annotations

import pytest

from tests.conftest import client_for
from tests.hazards.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

GAS = [{"skill": "gas-safety", "certified_until": "2099-12-31", "certificate_no": "SELF-1"}]


def _holds_gas(volunteer) -> bool:
    from volunteers.models import Volunteer
    from volunteers.selectors import with_valid_skill

    return with_valid_skill(Volunteer.objects.all(), "gas-safety").filter(pk=volunteer.pk).exists()


def test_a_volunteer_cannot_give_themselves_a_skill_that_gates_dispatch(demo):
    from volunteers.models import Volunteer

    volunteer = Volunteer.objects.get(user=demo["vol3"])
    assert not _holds_gas(volunteer)
    mine = client_for(demo["vol3"]).patch("/api/v1/volunteers/me/", {"skills": GAS}, format="json")
    assert mine.status_code == 200, mine.content
    held = {s["slug"]: s for s in mine.json()["skills"]}
    assert held["gas-safety"]["reviewed"] is False
    assert not _holds_gas(volunteer)  # stored as a claim, not counted by dispatch

    # Gas safety is licensed: the review needs the certificate photo (test_certificate_photos).
    photo = upload("cert.jpg", jpeg_bytes(seed=2))
    sent = client_for(demo["vol3"]).post("/api/v1/volunteers/me/certificates/", {"skill": "gas-safety", "photo": photo})
    assert sent.status_code == 200, sent.content
    assert not _holds_gas(volunteer)
    own = client_for(demo["vol3"]).post(f"/api/v1/volunteers/{volunteer.pk}/review-skills/", {}, format="json")
    assert own.status_code == 403 and not _holds_gas(volunteer)
    reviewed = client_for(demo["dispatcher"]).post(
        f"/api/v1/volunteers/{volunteer.pk}/review-skills/", {}, format="json"
    )
    assert reviewed.status_code == 200, reviewed.content
    assert {s["slug"]: s for s in reviewed.json()["skills"]}["gas-safety"]["reviewed"] is True
    assert _holds_gas(volunteer)

    # Changing the reviewed claim (a later expiry) makes it a new, unreviewed claim again.
    later = [{**GAS[0], "certificate_no": "SELF-2"}]
    assert client_for(demo["vol3"]).patch("/api/v1/volunteers/me/", {"skills": later}, format="json").status_code == 200
    assert not _holds_gas(volunteer)


def test_approving_an_application_reviews_its_skills(demo):
    from tests.factories import UserFactory
    from volunteers.services import volunteer_apply, volunteer_approve

    applicant = UserFactory()
    grid = demo["grid1"].grids.get()
    from volunteers.clean import SkillClaim

    volunteer = volunteer_apply(
        actor=applicant,
        real_name="申请人乙",
        phone="15800004321",
        community_id=grid.community_id,
        skills=[SkillClaim("gas-safety", None, "GS-9")],
    )
    assert not _holds_gas(volunteer)
    from volunteers.certificates import volunteer_certificate_attach

    volunteer_certificate_attach(actor=applicant, skill_slug="gas-safety", photo=upload("c.jpg", jpeg_bytes(seed=3)))
    volunteer_approve(volunteer_id=volunteer.pk, actor=demo["dispatcher"])
    assert _holds_gas(volunteer)
