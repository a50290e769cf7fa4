"""Factories: build state the way the app does (through services where they exist)."""

from __future__ import annotations

import itertools

import factory
from django.contrib.auth.models import Group

from govern.models import Community, Grid, User
from govern.services import grid_save

_counter = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    password = factory.PostGenerationMethodCall("set_password", "pw-govern-test")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(*Group.objects.filter(name__in=list(extracted)))
        self.save()


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"community-{n}")
    name = factory.Sequence(lambda n: f"社区{n}")


def square(west: float, south: float, size: float = 0.01) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_grid(
    *,
    community: Community | None = None,
    west: float = 120.80,
    south: float = 30.90,
    size: float = 0.01,
    workers=(),
    code: str | None = None,
) -> Grid:
    n = next(_counter)
    return grid_save(
        community=community or CommunityFactory(),
        code=code or f"grid-{n}",
        name=f"网格{n}",
        boundary=square(west, south, size),
        workers=list(workers),
    )
