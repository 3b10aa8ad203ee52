"""Hash-chained, append-only audit log of screenings, decisions and list loads."""

from tamiz.audit.log import AuditLog, AuditRecord, VerifyResult

__all__ = ["AuditLog", "AuditRecord", "VerifyResult"]
