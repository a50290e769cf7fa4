"""Notification API (mounted under /api/v1/ by govern.urls).

GET    /api/v1/notifications/                 the inbox, newest first, with the unread count
POST   /api/v1/notifications/{id}/read/       mark one read
POST   /api/v1/notifications/read-all/        mark all read
GET|PUT /api/v1/notifications/preferences/    channels per kind, quiet hours, e-mail, phone
POST|DELETE /api/v1/push/subscriptions/       this browser's Web Push subscription
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.api import error_responses
from govern.errors import InvalidInput
from govern.notify import selectors, services
from govern.notify.channels.push import vapid_public_key
from govern.notify.kinds import KINDS, text

MAX_LIMIT = 100


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField()
    severity = serializers.CharField()
    ref = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


def notification_json(row) -> dict:
    title, body, url = text(row.kind, row.data)
    kind = KINDS.get(row.kind)
    return {
        "id": row.pk,
        "kind": row.kind,
        "kind_label": str(kind.label) if kind else row.kind,
        "title": title,
        "body": body,
        "url": url,
        "severity": row.severity,
        "ref": row.ref,
        "created_at": row.created_at.isoformat(),
        "read_at": row.read_at.isoformat() if row.read_at else None,
    }


class InboxSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    results = NotificationSerializer(many=True)
    next_before = serializers.IntegerField(allow_null=True, help_text="pass as `before` for the next page")


def _int_param(request, name: str, default: int | None, low: int, high: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(_("%(name)s must be a whole number.") % {"name": name}, field=name)
    if value < low or (high is not None and value > high):
        raise InvalidInput(_("%(name)s is out of range.") % {"name": name}, field=name)
    return value


class NotificationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My notifications (the inbox)",
        parameters=[
            OpenApiParameter("unread", bool, description="only unread ones"),
            OpenApiParameter("before", int, description="ids below this (the next page)"),
            OpenApiParameter("limit", int, description="at most 100 (default 50)"),
        ],
        responses={200: InboxSerializer, **error_responses(400, 401)},
    )
    def get(self, request):
        limit = _int_param(request, "limit", 50, 1, MAX_LIMIT)
        before = _int_param(request, "before", None, 1)
        unread_only = request.query_params.get("unread") in ("1", "true")
        rows = selectors.inbox(request.user, limit=limit, before=before, unread_only=unread_only)
        return Response(
            {
                "unread": selectors.unread_count(request.user),
                "results": [notification_json(r) for r in rows],
                "next_before": rows[-1].pk if len(rows) == limit else None,
            }
        )


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Mark a notification read",
        request=None,
        responses={200: NotificationSerializer, **error_responses(401, 404)},
    )
    def post(self, request, pk: int):
        return Response(notification_json(services.notification_read(actor=request.user, notification_id=pk)))


class NotificationReadAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Mark every notification read", request=None, responses={200: dict, **error_responses(401)})
    def post(self, request):
        return Response({"read": services.notifications_read_all(actor=request.user)})


class PreferencesSerializer(serializers.Serializer):
    channels = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="kind → channels (inbox, push, email, sms); inbox is always on",
    )
    quiet_start = serializers.CharField(allow_null=True, required=False, help_text="HH:MM local time")
    quiet_end = serializers.CharField(allow_null=True, required=False, help_text="HH:MM local time")
    email = serializers.CharField(allow_blank=True, required=False)
    phone = serializers.CharField(allow_blank=True, required=False)
    push_public_key = serializers.CharField(read_only=True, help_text="VAPID applicationServerKey ('' if push is off)")


def _preferences_json(user) -> dict:
    return {**selectors.preferences(user), "push_public_key": vapid_public_key()}


class PreferencesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My notification preferences", responses={200: PreferencesSerializer, **error_responses(401)}
    )
    def get(self, request):
        return Response(_preferences_json(request.user))

    @extend_schema(
        summary="Change my notification preferences",
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, **error_responses(400, 401)},
    )
    def put(self, request):
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            raise InvalidInput(_("Send a JSON object."), field="body")
        for name in ("email", "phone", "quiet_start", "quiet_end"):
            if data.get(name) is not None and not isinstance(data.get(name), str):
                raise InvalidInput(_("%(name)s must be text.") % {"name": name}, field=name)
        services.notification_preferences_update(
            actor=request.user,
            channels=data.get("channels"),
            quiet_start=data.get("quiet_start"),
            quiet_end=data.get("quiet_end"),
            email=data.get("email"),
            phone=data.get("phone"),
        )
        return Response(_preferences_json(request.user))


class PushKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField()
    auth = serializers.CharField()


class PushSubscriptionSerializer(serializers.Serializer):
    endpoint = serializers.CharField()
    keys = PushKeysSerializer(required=False)


class PushSubscriptionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Subscribe this browser to Web Push",
        description="The body is the browser's PushSubscription JSON.",
        request=PushSubscriptionSerializer,
        responses={201: None, **error_responses(400, 401)},
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
        endpoint = data.get("endpoint")
        if not isinstance(endpoint, str):
            raise InvalidInput(_("The push endpoint must be an https URL."), field="endpoint")
        services.push_subscribe(
            actor=request.user,
            endpoint=endpoint,
            p256dh=str(keys.get("p256dh") or ""),
            auth=str(keys.get("auth") or ""),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Unsubscribe this browser from Web Push",
        request=PushSubscriptionSerializer,
        responses={204: None, **error_responses(400, 401)},
    )
    def delete(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        endpoint = data.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            raise InvalidInput(_("Name the endpoint to unsubscribe."), field="endpoint")
        services.push_unsubscribe(actor=request.user, endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)
