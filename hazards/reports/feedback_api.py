"""The fix and the reporter's answer in the API (issue 18):

GET  /api/v1/track/{tracking_code}/            gains `fix` and `feedback` (hazards.reports.api.TrackView)
POST /api/v1/track/{tracking_code}/feedback/   the reporter answers once: fixed (stars) or not (a reason,
                                               optionally a photo: multipart)

Only the reporter answers: the signed-in user who filed it, or the browser session that filed
it anonymously (hazards.reports.ownership). Throttled like tracking-code lookups.
"""

from __future__ import annotations

from django.core.exceptions import TooManyFilesSent
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.api import error_responses
from govern.errors import InvalidInput
from govern.media.checks import too_many_files_sentence
from hazards.core.serializers import PhotoSerializer
from hazards.reports.feedback import answer_photo_limits, feedback_submit
from hazards.reports.fix import answer_photos
from hazards.reports.ownership import filed_ids
from hazards.reports.throttles import CodeLookupThrottle


class FixSerializer(serializers.Serializer):
    """The fix as the public sees it: the completion note and after-photos, never who fixed it."""

    note = serializers.CharField()
    completed_at = serializers.DateTimeField()
    verified = serializers.BooleanField()
    photos = PhotoSerializer(many=True, help_text="after-photos (renditions only)")


class FeedbackSerializer(serializers.Serializer):
    fixed = serializers.BooleanField()
    stars = serializers.IntegerField(allow_null=True, help_text="1–5 when fixed; null when not fixed")
    comment = serializers.CharField(help_text="the comment (fixed) or what is still wrong (not fixed)")
    created_at = serializers.DateTimeField()


class AnswerSerializer(FeedbackSerializer):
    """The answer as its reporter gets it back: with its photo (the public tracking shows none)."""

    photos = serializers.SerializerMethodField(help_text="the answer's photo (`processing` until re-encoded)")

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, feedback) -> list:
        return PhotoSerializer(answer_photos(feedback), many=True, context=self.context).data


class FeedbackCreateSerializer(serializers.Serializer):
    fixed = serializers.BooleanField()
    stars = serializers.IntegerField(required=False, allow_null=True, help_text="1–5, required when fixed")
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="optional when fixed; the reason when not fixed"
    )
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        help_text="not fixed only: at most one photo of what is still wrong (multipart; JPEG, PNG, WebP, HEIC/HEIF), "
        "re-encoded after the answer commits",
    )


class TrackFeedbackView(APIView):
    """The reporter's answer to the fix: once, after the hazard is rectified."""

    permission_classes = [AllowAny]
    throttle_classes = [CodeLookupThrottle]
    throttle_scope = "code_lookup"

    @extend_schema(
        summary="Answer whether the fix worked",
        request={"application/json": FeedbackCreateSerializer, "multipart/form-data": FeedbackCreateSerializer},
        responses={
            201: AnswerSerializer,
            **error_responses(
                400,
                403,
                404,
                409,
                e403="Not the reporter (the signed-in reporter, or the browser that filed it anonymously)",
                e409="No fix yet, or already answered",
            ),
        },
    )
    def post(self, request, tracking_code: str):
        try:
            payload, photos = request.data, request.FILES.getlist("photos")
        except TooManyFilesSent:  # Django's own cap, hit while parsing
            raise InvalidInput(
                too_many_files_sentence(limits=answer_photo_limits()), field="photos", code="too_many_photos"
            )
        body = FeedbackCreateSerializer(data={k: v for k, v in payload.items() if k != "photos"})
        body.is_valid(raise_exception=True)
        values = body.validated_data
        feedback = feedback_submit(
            tracking_code=tracking_code,
            actor=request.user,
            filed=filed_ids(request._request),
            fixed=values["fixed"],
            stars=values.get("stars"),
            comment=values.get("comment", ""),
            photos=photos,
        )
        return Response(AnswerSerializer(feedback, context={"request": request}).data, status=status.HTTP_201_CREATED)
