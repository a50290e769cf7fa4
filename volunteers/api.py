"""REST views of the volunteers app: validate → service/selector → serialize."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from govern.api import ErrorSerializer
from govern.client_address import ClientAddressIdent
from govern.errors import InvalidInput, NotFound, PermissionDenied
from govern.permissions import IsDispatcher
from govern.roles import is_dispatcher
from govern.throttles import ScopeThrottle, scope_wait
from volunteers import certificates, conf, duty, selectors, service_records, services
from volunteers.filters import VolunteerFilter
from volunteers.models import ServiceRecord, ServiceRecordStatus, Skill, Volunteer
from volunteers.serializers import (
    ApplyInputSerializer,
    CertificatePhotoInputSerializer,
    DutyInputSerializer,
    ProfilePatchSerializer,
    ReasonInputSerializer,
    RequiredReasonInputSerializer,
    ServiceRecordInputSerializer,
    ServiceRecordSerializer,
    SkillSerializer,
    TeamDetailSerializer,
    TeamSerializer,
    VolunteerDispatcherListSerializer,
    VolunteerDispatcherSerializer,
    VolunteerMemberSerializer,
    VolunteerOwnerDetailSerializer,
    VolunteerOwnerSerializer,
    claims_from,
    detail_serializer_for,
    slots_from,
)

E400 = OpenApiResponse(ErrorSerializer, description="Invalid input: `errors` names the field")
E401 = OpenApiResponse(ErrorSerializer, description="Not authenticated")
E403 = OpenApiResponse(ErrorSerializer, description="Not allowed for this user")
E404 = OpenApiResponse(ErrorSerializer, description="Not found")
E409 = OpenApiResponse(ErrorSerializer, description="Not allowed in the current state (the sentence says why)")


class ApplyThrottle(ClientAddressIdent, AnonRateThrottle):
    """Only anonymous applications (which create an account) are throttled, per client address."""

    scope = "volunteer_apply"

    def get_rate(self):
        return conf.apply_rate()

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


def _profile_kwargs(data: dict) -> dict:
    kwargs = {}
    for key, target in (("real_name", "real_name"), ("phone", "phone"), ("community", "community_id")):
        if key in data:
            kwargs[target] = data[key]
    if "team" in data:
        kwargs["team_id"] = data["team"]
    if "skills" in data:
        kwargs["skills"] = claims_from(data["skills"])
    if "availability" in data:
        kwargs["availability"] = slots_from(data["availability"])
    return kwargs


def _me_response(request, volunteer_id: int, code=status.HTTP_200_OK) -> Response:
    volunteer, _level = selectors.volunteer_detail(viewer=request.user, volunteer_id=volunteer_id)
    return Response(VolunteerOwnerDetailSerializer(volunteer).data, status=code)


def _detail_response(request, volunteer_id: int) -> Response:
    volunteer, level = selectors.volunteer_detail(viewer=request.user, volunteer_id=volunteer_id)
    return Response(detail_serializer_for(level)(volunteer).data)


class VolunteerListCreateView(generics.ListAPIView):
    """GET: every volunteer (dispatchers). POST: apply to volunteer (residents, or visitors who create
    an account with `username` and `password` in the same request)."""

    serializer_class = VolunteerDispatcherListSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = VolunteerFilter
    throttle_classes = [ApplyThrottle]

    def get_throttles(self):
        if self.request.method != "POST":
            return []
        # Each answer says whether a mobile number (and, without an account, a username) is
        # taken: both are counted per caller so they cannot be probed in bulk.
        throttles = [ApplyThrottle(), ScopeThrottle("volunteer_phone")]
        if not self.request.user.is_authenticated:
            throttles.append(ScopeThrottle("signup", by_address=True))
        return throttles

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsDispatcher()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Volunteer.objects.none()
        return selectors.volunteer_list(viewer=self.request.user)

    @extend_schema(
        summary="List volunteers (dispatchers)",
        responses={200: VolunteerDispatcherListSerializer(many=True), 400: E400, 401: E401, 403: E403},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Apply to volunteer",
        request=ApplyInputSerializer,
        responses={201: VolunteerOwnerDetailSerializer, 400: E400, 409: E409},
    )
    def post(self, request):
        serializer = ApplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kwargs = _profile_kwargs(data)
        if request.user.is_authenticated:
            volunteer = services.volunteer_apply(actor=request.user, **kwargs)
            return _me_response(request, volunteer.pk, status.HTTP_201_CREATED)
        for field in ("username", "password"):
            if not data.get(field):
                raise InvalidInput(
                    _("Log in, or give a %(field)s to create your account.") % {"field": field}, field=field
                )
        volunteer = services.volunteer_apply_with_account(
            username=data["username"], password=data["password"], **kwargs
        )
        # The new account is not logged in by the API; answer with the owner's view of the profile.
        volunteer, _level = selectors.volunteer_detail(viewer=volunteer.user, volunteer_id=volunteer.pk)
        return Response(VolunteerOwnerDetailSerializer(volunteer).data, status=status.HTTP_201_CREATED)


class MeView(APIView):
    """The caller's own volunteer profile (full phone, history; no coordinates)."""

    permission_classes = [IsAuthenticated]

    def _mine(self, request):
        volunteer = selectors.volunteer_for_user_id(request.user.pk)
        if volunteer is None:
            raise NotFound(_("You have no volunteer profile yet: apply first."))
        return volunteer

    @extend_schema(responses={200: VolunteerOwnerDetailSerializer, 401: E401, 404: E404})
    def get(self, request):
        return _me_response(request, self._mine(request).pk)

    @extend_schema(
        request=ProfilePatchSerializer,
        responses={
            200: VolunteerOwnerDetailSerializer,
            400: E400,
            401: E401,
            404: E404,
            429: OpenApiResponse(ErrorSerializer, description="Too many new mobile numbers; see Retry-After"),
        },
    )
    def patch(self, request):
        volunteer = self._mine(request)
        serializer = ProfilePatchSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        phone = serializer.validated_data.get("phone")
        if phone is not None and phone.strip() != volunteer.phone:
            wait = scope_wait("volunteer_phone", request)  # a new number's answer says if it is taken
            if wait is not None:
                raise exceptions.Throttled(wait=wait)
        services.volunteer_update(
            volunteer_id=volunteer.pk, actor=request.user, **_profile_kwargs(serializer.validated_data)
        )
        return _me_response(request, volunteer.pk)


class CertificatePhotoView(APIView):
    """The photo of the certificate of a licensed skill the caller claims (multipart)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Add the certificate photo of a claimed skill",
        description=(
            "Multipart form: `skill` (slug of a skill on the caller's profile) and `photo` (one image, checked and "
            "re-encoded without metadata). A licensed skill (`licensed` in the skills list) counts for dispatch only "
            "once a dispatcher has reviewed it with its photo; a new photo needs a new review."
        ),
        request={"multipart/form-data": CertificatePhotoInputSerializer},
        responses={200: VolunteerOwnerDetailSerializer, 400: E400, 401: E401, 404: E404},
    )
    def post(self, request):
        serializer = CertificatePhotoInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = certificates.volunteer_certificate_attach(
            actor=request.user, skill_slug=serializer.validated_data["skill"], photo=request.FILES.get("photo")
        )
        return _me_response(request, link.volunteer_id)


class DutyView(APIView):
    """Go on duty with a position (approved volunteers), send a newer position, or go off duty."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=DutyInputSerializer,
        responses={200: VolunteerOwnerDetailSerializer, 400: E400, 401: E401, 404: E404, 409: E409},
    )
    def post(self, request):
        serializer = DutyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        volunteer = duty.volunteer_duty_set(
            actor=request.user, on_duty=data["on_duty"], latitude=data.get("latitude"), longitude=data.get("longitude")
        )
        return _me_response(request, volunteer.pk)


class VolunteerDetailView(APIView):
    """One volunteer: everything for dispatchers, the owner's view for themselves, a masked view for
    approved teammates; 404 for anyone else."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: PolymorphicProxySerializer(
                component_name="VolunteerForViewer",
                serializers=[VolunteerDispatcherSerializer, VolunteerOwnerDetailSerializer, VolunteerMemberSerializer],
                resource_type_field_name=None,
            ),
            401: E401,
            404: E404,
        },
        description="The shape depends on the viewer: dispatchers get VolunteerDispatcher, the owner "
        "VolunteerOwnerDetail, a teammate VolunteerMember (masked phone, no position).",
    )
    def get(self, request, pk: int):
        return _detail_response(request, pk)


class _DecisionView(APIView):
    permission_classes = [IsDispatcher]
    input_serializer = ReasonInputSerializer
    action = ""

    def post(self, request, pk: int):
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = getattr(services, f"volunteer_{self.action}")
        service(volunteer_id=pk, actor=request.user, reason=serializer.validated_data.get("reason", ""))
        return _detail_response(request, pk)


_decision_responses = {200: VolunteerDispatcherSerializer, 400: E400, 401: E401, 403: E403, 404: E404, 409: E409}


class ApproveView(_DecisionView):
    """pending → approved (dispatchers). The applicant gets `volunteer.status_changed` live."""

    action = "approve"

    @extend_schema(request=ReasonInputSerializer, responses=_decision_responses)
    def post(self, request, pk: int):
        return super().post(request, pk)


class RejectView(_DecisionView):
    """pending → rejected with a reason (dispatchers)."""

    action = "reject"
    input_serializer = RequiredReasonInputSerializer

    @extend_schema(request=RequiredReasonInputSerializer, responses=_decision_responses)
    def post(self, request, pk: int):
        return super().post(request, pk)


class SuspendView(_DecisionView):
    """approved → suspended with a reason (dispatchers); the volunteer goes off duty."""

    action = "suspend"
    input_serializer = RequiredReasonInputSerializer

    @extend_schema(request=RequiredReasonInputSerializer, responses=_decision_responses)
    def post(self, request, pk: int):
        return super().post(request, pk)


class SkillsReviewView(_DecisionView):
    """A dispatcher confirms the volunteer's skill claims: only reviewed skills count for dispatch
    (a volunteer's own edits add or change claims unreviewed)."""

    action = "skills_review"

    @extend_schema(request=ReasonInputSerializer, responses=_decision_responses)
    def post(self, request, pk: int):
        return super().post(request, pk)


class ReinstateView(_DecisionView):
    """suspended → approved (dispatchers)."""

    action = "reinstate"

    @extend_schema(request=ReasonInputSerializer, responses=_decision_responses)
    def post(self, request, pk: int):
        return super().post(request, pk)


class SkillListView(generics.ListAPIView):
    """Skills offered to applicants."""

    serializer_class = SkillSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return Skill.objects.filter(is_active=True).order_by("id")


class TeamListView(generics.ListAPIView):
    """Teams with member counts and approved service minutes; `community` filters."""

    serializer_class = TeamSerializer
    permission_classes = [AllowAny]

    @extend_schema(parameters=[OpenApiParameter("community", int, description="Community id")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        raw = self.request.query_params.get("community")
        if raw not in (None, "") and not str(raw).isdigit():
            raise InvalidInput(_("community must be a community id."), field="community")
        return selectors.team_list(community_id=int(raw) if raw else None)


class TeamDetailView(APIView):
    """A team with its leaders, member count and approved service minutes."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: TeamDetailSerializer, 404: E404})
    def get(self, request, pk: int):
        team = selectors.team_get(pk)
        return Response(TeamDetailSerializer(team, context={"leaders": selectors.team_leaders(team)}).data)


class TeamMembersView(generics.ListAPIView):
    """Members of a team (approved and suspended; leaders first), for its members and dispatchers.
    Phones are masked for everyone but dispatchers (and each member's own row)."""

    serializer_class = VolunteerMemberSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: VolunteerMemberSerializer(many=True), 401: E401, 403: E403, 404: E404})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Volunteer.objects.none()
        team = selectors.team_get(self.kwargs["pk"])
        if not selectors.may_see_team_members(self.request.user, team):
            raise PermissionDenied(_("Only members of this team and dispatchers see its members."))
        return selectors.team_members(team)

    def get_serializer(self, *args, **kwargs):
        if is_dispatcher(self.request.user):
            return VolunteerOwnerSerializer(*args, **kwargs)
        return super().get_serializer(*args, **kwargs)


class MyServiceRecordsView(generics.ListAPIView):
    """GET: my service records. POST: log service done outside dispatch (reviewed by a leader or dispatcher)."""

    serializer_class = ServiceRecordSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ServiceRecord.objects.none()
        volunteer = selectors.volunteer_for_user_id(self.request.user.pk)
        if volunteer is None:
            raise NotFound(_("You have no volunteer profile yet: apply first."))
        return selectors.service_records_of(volunteer)

    @extend_schema(
        request=ServiceRecordInputSerializer,
        responses={201: ServiceRecordSerializer, 400: E400, 401: E401, 404: E404, 409: E409},
    )
    def post(self, request):
        serializer = ServiceRecordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = service_records.service_record_submit(actor=request.user, **serializer.validated_data)
        return Response(ServiceRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class ReviewQueueView(generics.ListAPIView):
    """Manual service records the caller may review (team leaders: their team; dispatchers: all).
    `status` (default pending; `all` for every state) and `team` filter."""

    serializer_class = ServiceRecordSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=["pending", "approved", "rejected", "all"]),
            OpenApiParameter("team", int),
        ],
        responses={200: ServiceRecordSerializer(many=True), 400: E400, 401: E401, 403: E403},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ServiceRecord.objects.none()
        params = self.request.query_params
        wanted = params.get("status") or ServiceRecordStatus.PENDING
        if wanted != "all" and wanted not in ServiceRecordStatus.values:
            raise InvalidInput(_("status must be pending, approved, rejected or all."), field="status")
        team = params.get("team")
        if team not in (None, "") and not str(team).isdigit():
            raise InvalidInput(_("team must be a team id."), field="team")
        return selectors.service_records_for_review(
            viewer=self.request.user, status=None if wanted == "all" else wanted, team_id=int(team) if team else None
        )


class _ReviewView(APIView):
    permission_classes = [IsAuthenticated]
    approve = True

    def post(self, request, pk: int):
        if self.approve:
            serializer = ReasonInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            record = service_records.service_record_approve(
                record_id=pk, actor=request.user, reason=serializer.validated_data.get("reason", "")
            )
        else:
            serializer = RequiredReasonInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            record = service_records.service_record_reject(
                record_id=pk, actor=request.user, reason=serializer.validated_data["reason"]
            )
        return Response(ServiceRecordSerializer(record).data)


_review_responses = {200: ServiceRecordSerializer, 400: E400, 401: E401, 403: E403, 404: E404, 409: E409}


class ServiceRecordApproveView(_ReviewView):
    """Approve manual minutes: a leader of the volunteer's team or a dispatcher, never the volunteer."""

    @extend_schema(request=ReasonInputSerializer, responses=_review_responses)
    def post(self, request, pk: int):
        return super().post(request, pk)


class ServiceRecordRejectView(_ReviewView):
    """Reject manual minutes with a reason (same reviewers as approve)."""

    approve = False

    @extend_schema(request=RequiredReasonInputSerializer, responses=_review_responses)
    def post(self, request, pk: int):
        return super().post(request, pk)
