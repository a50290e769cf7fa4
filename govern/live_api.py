"""Live-road API: dispatchers send system notices (POST /api/v1/notices/)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.api import ErrorSerializer
from govern.live_services import NOTICE_LEVELS, NOTICE_MAX_LENGTH, notice_publish
from govern.permissions import IsDispatcher


class NoticeInSerializer(serializers.Serializer):
    topics = serializers.ListField(
        child=serializers.CharField(max_length=120),
        required=False,
        default=list,
        help_text='user:<id>, grid:<id>, dispatch or hazard:<code>; default ["dispatch"].',
    )
    text = serializers.CharField(max_length=NOTICE_MAX_LENGTH, trim_whitespace=True)
    level = serializers.ChoiceField(choices=NOTICE_LEVELS, default="info")


class LiveEventSerializer(serializers.Serializer):
    """The websocket envelope (docs/events.md), plus the topics it went to."""

    id = serializers.IntegerField()
    type = serializers.CharField()
    data = serializers.JSONField()
    at = serializers.DateTimeField()
    topics = serializers.ListField(child=serializers.CharField())


class NoticeCreateView(APIView):
    """Send a `system.notice` live event (a storm warning, a maintenance window) to topics."""

    permission_classes = [IsAuthenticated, IsDispatcher]

    @extend_schema(
        request=NoticeInSerializer,
        responses={
            201: LiveEventSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Bad text, level or topic"),
            401: OpenApiResponse(ErrorSerializer, description="Not signed in"),
            403: OpenApiResponse(ErrorSerializer, description="Not a dispatcher"),
        },
    )
    def post(self, request):
        incoming = NoticeInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        event = notice_publish(sender=request.user, **incoming.validated_data)
        body = {**event.as_message(), "topics": event.topics}
        return Response(LiveEventSerializer(body).data, status=status.HTTP_201_CREATED)
