"""The /open311/v2/ endpoints (GeoReport v2, see ../shared/OPEN311.md). Thin: parse → service or
selector → document → render.

Every answer is JSON or XML as the path's extension asks; every error is the spec's list of
`{code, description}` with 400, 403, 404 (or 405 for a wrong method), also for unknown paths
under /open311/v2/ and for bodies Django refuses to parse. Key-authenticated, so CSRF exempt.
"""

from __future__ import annotations

import functools
import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, ValidationError
from django.core.files.storage import default_storage
from django.core.validators import EmailValidator, URLValidator
from django.http import UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.csrf import csrf_exempt

from govern.api_keys import api_client_for_key
from govern.errors import DomainError
from govern.geo import valid_coordinates
from govern.open311 import conf, selectors
from govern.open311.formats import FORMATS, JSON_TYPE, XML_TYPE, Open311Error, render, render_error
from govern.open311.params import Params, check_jurisdiction, parse_date, w3c
from govern.throttles import ApiKeyThrottle
from hazards import conf as hazards_conf
from hazards.models import FINAL_STATUSES, Severity, Source
from hazards.premises.alerts.selectors import is_sensor_key
from hazards.reports.services import hazard_report

logger = logging.getLogger(__name__)

READ_METHODS = ("GET", "HEAD")
# A tag (`<b>`, `</p>`, `<img src=x>`), a comment or declaration, or an entity (`&amp;`, `&#60;`).
HTML_RE = re.compile(r"<\s*/?\s*[a-zA-Z][\w:-]*(\s[^<>]*)?/?\s*>|<[!?]|&#?[a-zA-Z0-9]+;")
PHONE_PUNCTUATION_RE = re.compile(r"[\s().\-]")

# Open311 attributes of every service (govern's categories share them).
PREMISES_TYPES = (
    ("residence", gettext_noop("residence")),
    ("restaurant", gettext_noop("restaurant or food stall")),
    ("shop", gettext_noop("shop")),
    ("factory", gettext_noop("factory or workshop")),
    ("warehouse", gettext_noop("warehouse")),
    ("public", gettext_noop("public space or road")),
    ("other", gettext_noop("other")),
)

# Field names of govern's services → the Open311 parameter a client should fix.
PARAM_OF_FIELD = {
    "category": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "location": "lat",
    "address": "address_string",
    "contact_phone": "phone",
    "photos": "media",
    "severity": "attribute[severity]",
}


# Posts per api_key (DEFAULT_THROTTLE_RATES["open311_post"]): a relaying app sends many residents'
# reports, so the allowance is per organisation, not per address.
OPEN311_POST_SCOPE = "open311_post"


def _fmt_of_path(path: str) -> str:
    return "xml" if path.lower().endswith(".xml") else "json"


def endpoint(*methods: str):
    """Wrap a view: method check, jurisdiction, errors in the spec's shape and requested format."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, fmt: str = "json", **kwargs):
            try:
                if request.method not in methods:
                    allowed = ", ".join(methods)
                    response = render_error(
                        fmt,
                        Open311Error(
                            405,
                            _("Method %(method)s is not allowed here; use %(allowed)s.")
                            % {"method": request.method, "allowed": allowed},
                        ),
                    )
                    response["Allow"] = allowed
                    return response
                params = Params(request)
                check_jurisdiction(params)
                return view(request, params, fmt, *args, **kwargs)
            except Open311Error as error:
                return render_error(fmt, error)
            except (
                RequestDataTooBig,
                TooManyFieldsSent,
                MultiPartParserError,
                UnreadablePostError,
                SuspiciousOperation,
            ) as error:
                # Django refuses the body itself (too big, too many fields or files, malformed).
                logger.info("open311: unreadable request body: %s", error)
                return render_error(
                    fmt,
                    Open311Error(
                        400, _("The request body could not be read: %(reason)s") % {"reason": _body_reason(error)}
                    ),
                )
            except Exception:
                # A bug, not the client's fault: still the spec's shape, never an HTML page.
                logger.exception("open311: unexpected error on %s %s", request.method, request.path)
                return render_error(
                    fmt, Open311Error(500, _("Internal error; it has been logged. Please try again later."))
                )

        return wrapper

    return decorate


def _body_reason(error: Exception) -> str:
    if isinstance(error, RequestDataTooBig):
        return _("it is too large.")
    if isinstance(error, TooManyFieldsSent):
        return _("it has too many fields.")
    if error.__class__.__name__ == "TooManyFilesSent":
        return _("it has too many files.")
    return _("it is malformed.")


def _absolute(request, url: str) -> str:
    return url if urlsplit(url).scheme else request.build_absolute_uri(url)


# --- discovery and services -------------------------------------------------------------------------


@endpoint(*READ_METHODS)
def discovery(request, params: Params, fmt: str):
    document = {
        "changeset": conf.CHANGESET,
        "contact": conf.contact(),
        "key_service": conf.key_service(),
        "endpoints": [
            {
                "specification": conf.SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2/"),
                "changeset": conf.CHANGESET,
                "type": conf.endpoint_type(),
                "formats": [JSON_TYPE.split(";")[0], XML_TYPE.split(";")[0]],
            }
        ],
    }
    return render(fmt, "discovery", document)


def _service_document(category, keywords: list[str]) -> dict:
    names = [category.name, category.name_en]
    return {
        "service_code": category.slug,
        "service_name": category.localized_name(),
        "description": category.description or None,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys([*names, *keywords])),
        "group": _("Safety hazards"),
    }


@endpoint(*READ_METHODS)
def services(request, params: Params, fmt: str):
    keywords = selectors.service_keywords()
    document = [_service_document(c, keywords.get(c.pk, [])) for c in selectors.service_list()]
    return render(fmt, "services", document)


def _unknown_service(code: str) -> Open311Error:
    return Open311Error(404, _("Unknown service_code %(code)s: GET services for the list.") % {"code": code})


def _attributes(category) -> list[dict]:
    severity_values = [{"key": value, "name": str(label)} for value, label in Severity.choices]
    return [
        {
            "variable": True,
            "code": "severity",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("One of the keys listed."),
            "order": 1,
            "description": _("How grave the hazard is. Never recorded below this service's default (%(default)s).")
            % {"default": Severity(category.default_severity).label},
            "values": severity_values,
        },
        {
            "variable": True,
            "code": "premises_type",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("One of the keys listed."),
            "order": 2,
            "description": _("What kind of place the hazard is in."),
            "values": [{"key": key, "name": _(label)} for key, label in PREMISES_TYPES],
        },
    ]


@endpoint(*READ_METHODS)
def service_definition(request, params: Params, fmt: str, code: str):
    category = selectors.service_get(code)
    if category is None:
        raise _unknown_service(code)
    return render(fmt, "service_definition", {"service_code": category.slug, "attributes": _attributes(category)})


# --- service requests: reading ------------------------------------------------------------------------


def _client_of(params: Params, *, required: bool):
    """The ApiClient of `api_key`; None when absent and not required; 403 when missing or bad."""
    raw = params.get("api_key")
    if raw is None:
        if required:
            raise Open311Error(403, _("api_key is missing: posting requires a key issued to your organisation."))
        return None
    client = api_client_for_key(raw)
    if client is None:
        raise Open311Error(403, _("api_key is not valid (unknown or revoked)."))
    if is_sensor_key(client):
        # An enterprise's sensor key is good for POST /api/v1/alerts/ only (issue 21 item 15).
        raise Open311Error(403, _("api_key is an enterprise sensor key, which is not valid for Open311."))
    return client


def _request_document(request, hazard, *, full: bool) -> dict:
    closed = hazard.status in FINAL_STATUSES
    category = hazard.category
    if full:
        lat, lng = hazard.latitude, hazard.longitude
    else:
        decimals = hazards_conf.public_coordinate_decimals()
        lat, lng = round(hazard.latitude, decimals), round(hazard.longitude, decimals)
    photos = [photo for photo in hazard.photos.all() if photo.image]  # ready ones (not still processing)
    media_url = None
    if full:
        if photos:
            media_url = _absolute(request, default_storage.url(photos[0].image.name))
        else:
            media_url = (hazard.client_data or {}).get("media_url")
    expected = None if closed else hazard.created_at + timedelta(minutes=category.sla_rectify_minutes)
    return {
        "service_request_id": str(hazard.pk),
        "status": "closed" if closed else "open",
        "status_notes": hazard.status_note or None,
        "service_name": category.localized_name(),
        "service_code": category.slug,
        "description": hazard.description if full else None,
        "agency_responsible": f"{hazard.grid.name} / {hazard.community.name}",
        "service_notice": _("govern status: %(status)s") % {"status": hazard.get_status_display()},
        "requested_datetime": w3c(hazard.created_at),
        "updated_datetime": w3c(hazard.status_changed_at if closed else hazard.updated_at),
        "expected_datetime": w3c(expected),
        "address": (hazard.address or None) if full else None,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        "media_url": media_url,
    }


def _documents(request, hazards, client) -> list[dict]:
    public = conf.public_detail()
    return [
        _request_document(request, h, full=public or (client is not None and h.api_client_id == client.pk))
        for h in hazards
    ]


def _comma_list(params: Params, name: str) -> list[str]:
    raw = params.get(name)
    if raw is None:
        return []
    return [part.strip() for part in raw.split(",") if part.strip()]


def _positive_int(params: Params, name: str, default: int, maximum: int | None = None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise Open311Error(400, _("%(name)s must be a whole number of at least 1.") % {"name": name})
    value = int(raw)
    if maximum is not None and value > maximum:
        raise Open311Error(400, _("%(name)s may be at most %(max)d.") % {"name": name, "max": maximum})
    return value


def _list_requests(request, params: Params, fmt: str):
    client = _client_of(params, required=False)
    page = _positive_int(params, "page", 1, maximum=1_000_000)
    page_size = _positive_int(params, "page_size", conf.MAX_RESULTS, maximum=conf.MAX_RESULTS)
    offset = (page - 1) * page_size
    ids = _comma_list(params, "service_request_id")
    if ids:
        if len(ids) > conf.MAX_RESULTS:
            raise Open311Error(400, _("service_request_id may list at most %(max)d ids.") % {"max": conf.MAX_RESULTS})
        # An id that is not a number names no request: it is simply not found.
        hazards = selectors.request_list(
            ids=[int(i) for i in ids if i.isdigit() and len(i) < 19], offset=offset, limit=page_size
        )
        return render(fmt, "service_requests", _documents(request, hazards, client))

    errors = []
    category_ids = None
    codes = _comma_list(params, "service_code")
    if codes:
        known = {c.slug: c.pk for c in selectors.service_list()}
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise Open311Error(404, *[str(_unknown_service(code)) for code in unknown])
        category_ids = [known[code] for code in codes]
    statuses = [s.lower() for s in _comma_list(params, "status")]
    for status in statuses:
        if status not in ("open", "closed"):
            errors.append(_("status %(status)s is not one of: open, closed.") % {"status": status})
    start = end = None
    for name in ("start_date", "end_date"):
        try:
            value = parse_date(params, name)
        except Open311Error as error:
            errors.extend(error.descriptions)
            continue
        if name == "start_date":
            start = value
        else:
            end = value
    if errors:
        raise Open311Error(400, *errors)
    if start and end and start > end:
        raise Open311Error(400, _("start_date is after end_date."))
    if start is None and end is None:
        start = timezone.now() - timedelta(days=conf.DEFAULT_WINDOW_DAYS)
    elif start is None:
        start = end - timedelta(days=conf.DEFAULT_WINDOW_DAYS)
    hazards = selectors.request_list(
        category_ids=category_ids, start=start, end=end, statuses=statuses, offset=offset, limit=page_size
    )
    return render(fmt, "service_requests", _documents(request, hazards, client))


@endpoint("GET", "HEAD", "POST")
def requests(request, params: Params, fmt: str):
    if request.method == "POST":
        return _create_request(request, params, fmt)
    return _list_requests(request, params, fmt)


@endpoint(*READ_METHODS)
def request_detail(request, params: Params, fmt: str, request_id: str):
    client = _client_of(params, required=False)
    hazard = selectors.request_get(int(request_id)) if request_id.isdigit() and len(request_id) < 19 else None
    if hazard is None:
        raise Open311Error(404, _("No service request has the id %(id)s.") % {"id": request_id})
    return render(fmt, "service_requests", _documents(request, [hazard], client))


@endpoint(*READ_METHODS)
def token(request, params: Params, fmt: str, token: str):
    # Every service is `realtime`: POST answers with the service_request_id at once, so this
    # server never issues tokens and every token is unknown.
    raise Open311Error(
        404, _("Unknown token %(token)s: this server answers POST requests with their id at once.") % {"token": token}
    )


# --- service requests: posting --------------------------------------------------------------------------


def _location(params: Params) -> tuple[float, float]:
    lat, lng = params.get("lat"), params.get("long")
    if lat is not None or lng is not None:
        if lat is None or lng is None:
            raise Open311Error(400, _("Send both lat and long (WGS84)."))
        try:
            latitude, longitude = float(lat), float(lng)
        except ValueError:
            raise Open311Error(400, _("lat and long must be decimal numbers (WGS84).")) from None
        if not valid_coordinates(latitude, longitude):
            raise Open311Error(400, _("lat must be within -90..90 and long within -180..180."))
        return latitude, longitude
    # No geocoder: govern's grids are polygons, not an address register, so an address alone
    # cannot be placed honestly. Clients send the point (every 311 app has it).
    if params.get("address_string") is not None:
        raise Open311Error(400, _("address_string could not be located; send lat and long."))
    if params.get("address_id") is not None:
        raise Open311Error(400, _("address_id is not supported by this server; send lat and long."))
    raise Open311Error(400, _("A location is required: lat and long, or address_string, or address_id."))


def _clean_attributes(params: Params, category) -> dict[str, str]:
    definitions = {a["code"]: a for a in _attributes(category)}
    errors, cleaned = [], {}
    for code, value in params.attributes().items():
        definition = definitions.get(code)
        if definition is None:
            errors.append(
                _("attribute[%(code)s] is not an attribute of service %(service)s.")
                % {"code": code, "service": category.slug}
            )
            continue
        if isinstance(value, list):
            errors.append(_("attribute[%(code)s] takes a single value: send attribute[%(code)s]=KEY.") % {"code": code})
            continue
        keys = [v["key"] for v in definition["values"]]
        if value not in keys:
            errors.append(_("attribute[%(code)s] must be one of: %(keys)s.") % {"code": code, "keys": ", ".join(keys)})
            continue
        cleaned[code] = value
    for code, definition in definitions.items():
        if definition["required"] and code not in cleaned:
            errors.append(_("attribute[%(code)s] is required.") % {"code": code})
    if errors:
        raise Open311Error(400, *errors)
    return cleaned


def _clean_text(params: Params, name: str, maximum: int) -> str | None:
    value = params.get(name)
    if value is not None and len(value) > maximum:
        raise Open311Error(400, _("%(name)s is too long: at most %(max)d characters.") % {"name": name, "max": maximum})
    return value


def _clean_contact(params: Params) -> tuple[dict, str]:
    """Contact fields → (client_data entries, contact phone for the hazard)."""
    data = {}
    errors = []
    for name in ("first_name", "last_name", "device_id", "account_id"):
        try:
            value = _clean_text(params, name, conf.NAME_MAX)
        except Open311Error as error:
            errors.extend(error.descriptions)
            continue
        if value is not None:
            data[name] = value
    email = params.get("email")
    if email is not None:
        try:
            EmailValidator()(email)
            data["email"] = email
        except ValidationError:
            errors.append(_("email is not a valid e-mail address."))
    phone = params.get("phone") or ""
    phone = PHONE_PUNCTUATION_RE.sub("", phone)
    if errors:
        raise Open311Error(400, *errors)
    return data, phone


def _clean_description(params: Params, category) -> str:
    description = params.get("description")
    if description is None:
        # Optional in GeoReport v2; a hazard always has one, so the service's name stands in.
        return str(category)
    if len(description) > conf.DESCRIPTION_MAX:
        raise Open311Error(
            400, _("description is too long: at most %(max)d characters.") % {"max": conf.DESCRIPTION_MAX}
        )
    if HTML_RE.search(description):
        raise Open311Error(400, _("description must be plain text: HTML tags and entities are not accepted."))
    return description


def _media(request, params: Params) -> tuple[list, str | None]:
    """(uploaded files, media_url reference). Uploaded parts win: media_url is then ignored.

    A media_url is never fetched (no outbound requests from the server: offline deployments,
    and no server-side request forgery); it is validated as an http(s) URL and kept as a
    reference, shown as the request's media_url while no photo is stored.
    """
    files = [*request.FILES.getlist("media"), *request.FILES.getlist("media[]")]
    if files:
        return files, None
    media_url = params.get("media_url")
    if media_url is None:
        return [], None
    if len(media_url) > conf.MEDIA_URL_MAX:
        raise Open311Error(400, _("media_url is too long: at most %(max)d characters.") % {"max": conf.MEDIA_URL_MAX})
    try:
        URLValidator(schemes=["http", "https"])(media_url)
    except ValidationError:
        raise Open311Error(400, _("media_url must be an http or https URL.")) from None
    return [], media_url


def _create_request(request, params: Params, fmt: str):
    client = _client_of(params, required=True)
    wait = ApiKeyThrottle(OPEN311_POST_SCOPE).wait_for(client.pk)
    if wait is not None:
        raise Open311Error(
            429,
            _("Too many requests from this api_key; try again in %(seconds)d seconds.")
            % {"seconds": max(1, round(wait))},
            retry_after=wait,
        )
    code = params.get("service_code")
    if code is None:
        raise Open311Error(400, _("service_code is required: GET services for the list."))
    category = selectors.service_get(code)
    if category is None:
        raise _unknown_service(code)
    latitude, longitude = _location(params)
    attributes = _clean_attributes(params, category)
    description = _clean_description(params, category)
    address = _clean_text(params, "address_string", 200) or ""
    client_data, phone = _clean_contact(params)
    files, media_url = _media(request, params)
    if media_url:
        client_data["media_url"] = media_url
    if attributes:
        client_data["attributes"] = attributes
    try:
        outcome = hazard_report(
            reporter=None,
            category_slug=category.slug,
            description=description,
            latitude=latitude,
            longitude=longitude,
            address=address,
            contact_phone=phone,
            photos=files,
            source=Source.OPEN311,
            api_client=client,
            client_data=client_data,
            severity=attributes.get("severity"),
            photos_required=False,
            description_max=conf.DESCRIPTION_MAX,
        )
    except DomainError as error:
        param = PARAM_OF_FIELD.get(error.field or "", error.field)
        sentence = f"{param}: {error.message}" if param else str(error.message)
        raise Open311Error(error.status_code if error.status_code in (400, 403, 404) else 400, sentence) from None
    hazard = outcome.hazard
    track_url = request.build_absolute_uri(f"/track/{hazard.tracking_code}/")
    notice = _("Received. Tracking code %(code)s; the reporter can follow it at %(url)s") % {
        "code": hazard.tracking_code,
        "url": track_url,
    }
    document = [
        {"service_request_id": str(hazard.pk), "service_notice": notice, "account_id": client_data.get("account_id")}
    ]
    return render(fmt, "service_requests", document, status=201)


def unknown_base(request):
    """A path under /open311 but outside /open311/v2/ (handler404 sends it here): the same 404
    list, pointing at the base URL."""
    return render_error(
        _fmt_of_path(request.path),
        Open311Error(
            404, _("No such endpoint: %(path)s. The GeoReport v2 base URL is /open311/v2/.") % {"path": request.path}
        ),
    )


@csrf_exempt
def unknown(request, path: str = ""):
    """Anything else under /open311/v2/: the spec's 404 list, in the format the path asks for."""
    fmt = _fmt_of_path(path)
    return render_error(
        fmt if fmt in FORMATS else "json",
        Open311Error(
            404, _("No such endpoint: %(path)s. GET discovery.json lists them.") % {"path": "/open311/v2/" + path}
        ),
    )
