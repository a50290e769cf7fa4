"""Floors for benchmarks: endpoints that do the unavoidable part of a request and nothing else.

Mounted only when GOVERN_BENCH_ENDPOINTS=1 (bench/stack.py sets it); never in a normal deployment.
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


@csrf_exempt
@require_POST
def bare_upload(request):
    """Receive the same multipart upload as a hazard report, read every byte, store nothing."""
    received = sum(len(chunk) for f in request.FILES.getlist("photos") for chunk in f.chunks())
    return JsonResponse({"received": received, "fields": sorted(request.POST)}, status=201)


class AuthenticatedPost(APIView):
    """The floor of an API write: token authentication, DRF and the ASGI stack, one JSON answer;
    no transaction, no lock. The redemption benchmark compares its rate with this one's."""

    permission_classes = [IsAuthenticated]
    schema = None  # not part of the API

    def post(self, request):
        return Response({"user": request.user.pk}, status=201)


authenticated_post = AuthenticatedPost.as_view()
