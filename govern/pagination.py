"""Pagination: {count, next, previous, results} everywhere; `CappedCountPagination` for lists that
grow without bound (the hazard list), where an exact COUNT(*) over a million rows would cost more
than the page itself."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class Pagination(PageNumberPagination):
    """{count, next, previous, results}; clients may ask for up to 200 per page."""

    page_size_query_param = "page_size"
    max_page_size = 200


class _CappedPage(Page):
    def __init__(self, object_list, number, paginator, has_more: bool):
        super().__init__(object_list, number, paginator)
        self._has_more = has_more

    def has_next(self) -> bool:
        return self._has_more


class CappedCountPaginator(DjangoPaginator):
    """A Django paginator that

    - counts at most `cap` + 1 rows (`SELECT COUNT(*) FROM (… LIMIT cap + 1)`): `count` is exact
      up to `cap`, and `count_exact` says whether it is;
    - knows whether there is a next page by reading one row more than the page, not from the count,
      so pages past the cap still work;
    - sorts and slices only the primary keys (no joined columns in the sort), then loads that page's
      rows — with the queryset's select_related/prefetch_related — by primary key;
    - tries the queryset's `page_narrowings` first, if it has any (see `page`).
    """

    def __init__(self, object_list, per_page, *, cap: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = int(cap)
        self.count_exact = True

    @cached_property
    def count(self) -> int:
        narrowings = getattr(self.object_list, "page_narrowings", None) or ()
        # Narrowings are subsets too: when the widest already holds more than the cap, so does the whole.
        if narrowings and narrowings[-1].order_by()[: self.cap + 1].count() > self.cap:
            self.count_exact = False
            return self.cap
        n = self.object_list.order_by()[: self.cap + 1].count()
        self.count_exact = n <= self.cap
        return min(n, self.cap)

    def validate_number(self, number) -> int:
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer"))
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        if self.count_exact and number > self.num_pages and number > 1:
            raise EmptyPage(_("That page contains no results"))
        return number

    def page(self, number) -> Page:
        self.count  # noqa: B018 — decides count_exact before the page number is judged
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        want = self.per_page + 1
        ids: list = []
        # A queryset may carry `page_narrowings`: cheaper subsets (say, smaller circles around a
        # point), narrowest first, whose first n rows are the full queryset's first n rows whenever
        # they have n rows.
        for narrower in getattr(self.object_list, "page_narrowings", None) or ():
            ids = list(narrower.values_list("pk", flat=True)[: bottom + want])
            if len(ids) == bottom + want:
                ids = ids[bottom:]
                break
        else:
            ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + want])
        has_more, ids = len(ids) > self.per_page, ids[: self.per_page]
        if not ids and number > 1:
            raise EmptyPage(_("That page contains no results"))
        by_pk = {row.pk: row for row in self.object_list.order_by().filter(pk__in=ids)} if ids else {}
        return _CappedPage([by_pk[pk] for pk in ids if pk in by_pk], number, self, has_more)


class CappedCountPagination(Pagination):
    """{count, count_exact, next, previous, results}: `count` is exact up to `count_cap` matches;
    beyond it `count` is `count_cap` and `count_exact` is false ("at least this many"). `next` and
    `previous` do not depend on the count: every page can be reached by following `next`."""

    count_cap = 1_000

    def get_count_cap(self) -> int:
        return self.count_cap

    def django_paginator_class(self, object_list, per_page):
        return CappedCountPaginator(object_list, per_page, cap=self.get_count_cap())

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_exact": paginator.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        cap = self.get_count_cap()
        out["required"] = ["count", "count_exact", "results"]
        out["properties"]["count"] = {
            "type": "integer",
            "example": 123,
            "description": f"Number of matches, exact up to {cap:,}; beyond that it is {cap:,} and count_exact is false.",
        }
        properties = {"count": out["properties"]["count"]}
        properties["count_exact"] = {
            "type": "boolean",
            "example": True,
            "description": f"false when more than {cap:,} match: count is then a lower bound. Follow next to page on.",
        }
        properties.update({k: v for k, v in out["properties"].items() if k != "count"})
        out["properties"] = properties
        return out
