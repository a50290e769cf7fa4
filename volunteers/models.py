"""Models of the volunteers app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Skill(models.Model):
    """A skill a responder may hold (first aid, electrician, gas safety...). Dispatch can require one."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
