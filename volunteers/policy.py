"""Who may do what in the volunteers app, answered the same for every entry point."""

from __future__ import annotations

from govern.models import User
from govern.roles import is_dispatcher
from volunteers.models import ServiceRecord, Volunteer, VolunteerStatus


def may_edit_profile(actor: User, volunteer: Volunteer) -> bool:
    """The owner edits their own profile; dispatchers edit anyone's."""
    return actor.pk == volunteer.user_id or is_dispatcher(actor)


def may_review_record(actor: User, record: ServiceRecord) -> bool:
    """A dispatcher, or an approved leader of the volunteer's current team; never the volunteer."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.pk in (record.volunteer.user_id, record.submitted_by_id):
        return False
    if is_dispatcher(actor):
        return True
    team_id = record.volunteer.team_id
    return (
        team_id is not None
        and Volunteer.objects.filter(
            user_id=actor.pk, team_id=team_id, is_team_leader=True, status=VolunteerStatus.APPROVED
        ).exists()
    )
