"""API keys with roles, stored hashed; the HTTP layer's access checks."""

from tamiz.auth.keys import KeyInfo, KeyStore, Principal, require
from tamiz.auth.roles import PERMISSIONS, ROLES, PermissionDenied, UnknownRole

__all__ = ["KeyInfo", "KeyStore", "PERMISSIONS", "PermissionDenied", "Principal", "ROLES", "UnknownRole", "require"]
