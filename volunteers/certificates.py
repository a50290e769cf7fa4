"""Certificate photos of licensed skills: the volunteer photographs the certificate, a dispatcher
looks at it on the review page before the skill counts for dispatch.

The photo goes through the kernel's media pipeline (govern.media) with the certificate limits
(volunteers.conf.certificate_photo_limits): checked and re-encoded (no metadata) before any
transaction, written by a PhotoWriter that deletes it again if the transaction fails. A new photo
needs a new review; the photo it replaces is deleted once the change commits.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from govern.errors import InvalidInput, NotFound
from govern.media.checks import display_name
from govern.media.renditions import process_upload
from govern.media.writer import PhotoWriter, delete_files
from govern.models import User
from volunteers import conf
from volunteers.models import Volunteer, VolunteerSkill


def volunteer_certificate_attach(*, actor: User, skill_slug: str, photo) -> VolunteerSkill:
    """The actor's own claim of `skill_slug` gets `photo` as its certificate photo, unreviewed."""
    volunteer = Volunteer.objects.filter(user_id=getattr(actor, "pk", None)).first()
    if volunteer is None:
        raise NotFound(_("You have no volunteer profile yet: apply first."))
    if not VolunteerSkill.objects.filter(volunteer=volunteer, skill__slug=skill_slug).exists():
        raise InvalidInput(_("Claim the skill on your profile first, then add its certificate."), field="skill")
    if not photo:
        raise InvalidInput(_("Choose a photo of the certificate."), field="photo")
    label = _("certificate photo (%(name)s)") % {"name": display_name(photo)}
    processed = process_upload(photo, limits=conf.certificate_photo_limits(), field="photo", label=label)
    with PhotoWriter("certificates") as writer, transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)  # lock order: volunteer first
        link = (
            VolunteerSkill.objects.select_related("skill").filter(volunteer=volunteer, skill__slug=skill_slug).first()
        )
        if link is None:  # the claim went while the photo was processed
            raise InvalidInput(_("Claim the skill on your profile first, then add its certificate."), field="skill")
        replaced = link.certificate_photo.name if link.certificate_photo else ""
        link.certificate_photo = writer.write(processed)["large"]
        link.reviewed_at = None  # a dispatcher has not seen this photo yet
        link.reviewed_by = None
        link.save(update_fields=["certificate_photo", "reviewed_at", "reviewed_by"])
        if replaced:
            transaction.on_commit(lambda: delete_files([replaced]))
    return link
