"""Roles and what each may do. Each role includes every permission of the ones below it."""

from __future__ import annotations

from tamiz.errors import TamizError

ROLES = ("screener", "analyst", "approver", "admin")

_OWN: dict[str, frozenset[str]] = {
    "screener": frozenset({"screen"}),
    "analyst": frozenset({"view_alerts", "decide"}),
    "approver": frozenset({"approve"}),
    "admin": frozenset({"manage_lists", "manage_keys", "manage_monitoring", "view_audit"}),
}

PERMISSIONS: dict[str, frozenset[str]] = {}
_acc: frozenset[str] = frozenset()
for _role in ROLES:
    _acc = _acc | _OWN[_role]
    PERMISSIONS[_role] = _acc

ALL_PERMISSIONS = PERMISSIONS["admin"]


class PermissionDenied(TamizError):
    """The key's role does not allow the action."""


class UnknownRole(TamizError):
    pass


def check_role(role: str) -> str:
    if role not in PERMISSIONS:
        raise UnknownRole(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    return role


def role_at_least(role: str, minimum: str) -> bool:
    return ROLES.index(check_role(role)) >= ROLES.index(check_role(minimum))
