"""HTTP API: yente-compatible endpoints plus tamiz's own, over the Screener."""

from tamiz.api.app import app_from_env, create_app
from tamiz.api.settings import ApiSettings

__all__ = ["ApiSettings", "app_from_env", "create_app"]
