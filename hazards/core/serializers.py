"""API shapes every part of hazards shares: photos (reports' and tasks' alike) and category references."""

from __future__ import annotations

from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def media_url(file) -> str | None:
    return default_storage.url(file.name) if file else None


# Storage URLs are site-relative ("/media/…") on the filesystem backend: a URI reference, not a URI.
MEDIA_URL_FIELD = {"type": "string", "format": "uri-reference", "nullable": True}


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(
        help_text="`processing` (just uploaded: the URLs are null until it is re-encoded, see the live event "
        "hazard.photos_ready), `ready`, or `failed` (the full decode refused it; `failure` says why)"
    )
    failure = serializers.CharField(
        source="get_failure_display", help_text="why a failed photo could not be used; empty otherwise"
    )
    thumb = serializers.SerializerMethodField()
    medium = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()

    @extend_schema_field(MEDIA_URL_FIELD)
    def get_thumb(self, photo) -> str | None:
        return media_url(photo.thumb)

    @extend_schema_field(MEDIA_URL_FIELD)
    def get_medium(self, photo) -> str | None:
        return media_url(photo.medium)

    @extend_schema_field(MEDIA_URL_FIELD)
    def get_image(self, photo) -> str | None:
        return media_url(photo.image)


class CategoryRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


def category_ref(category) -> dict:
    return {"slug": category.slug, "name": category.name, "name_en": category.name_en}
