"""Alerts, analyst decisions, the stored four-eyes policy, allow-list, ongoing monitoring and webhooks."""

from tamiz.cases.alerts import DECISIONS, Alert, AllowEntry, CaseError, FourEyesViolation
from tamiz.cases.manager import CaseManager
from tamiz.cases.monitor import Customer, Monitor, MonitorRun, delta_entities, matcher_screen
from tamiz.cases.policy import Policy, PolicyStore
from tamiz.cases.webhooks import Delivery, Subscription, Webhooks, sign, signature_ok

__all__ = [
    "Customer", "Delivery", "Monitor", "MonitorRun", "Subscription", "Webhooks", "delta_entities",
    "matcher_screen", "sign", "signature_ok", "Policy", "PolicyStore",
    "DECISIONS", "Alert", "AllowEntry", "CaseError", "CaseManager", "FourEyesViolation"]
