"""DRF permission classes built on roles."""

from rest_framework.permissions import BasePermission

from govern.roles import DISPATCHER, GRID_WORKER, MERCHANT_STAFF, VOLUNTEER, has_role


class _RolePermission(BasePermission):
    roles: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        return any(has_role(request.user, role) for role in self.roles)


class IsDispatcher(_RolePermission):
    roles = (DISPATCHER,)


class IsGridWorkerOrDispatcher(_RolePermission):
    roles = (GRID_WORKER, DISPATCHER)


class IsVolunteer(_RolePermission):
    roles = (VOLUNTEER,)


class IsMerchantStaff(_RolePermission):
    roles = (MERCHANT_STAFF,)
