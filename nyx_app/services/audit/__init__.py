"""The audit log: every security-relevant action leaves a row (who, when, from where, what, which).

Services call ``record`` (an action inside a tenant) or ``record_for_user`` (an action on an
account, written into every workspace of that user) in the transaction that does the action, so
the row exists exactly when the action happened. Where a request came from (address, device, web
or API) is set once by the edge that received it (``origin.use_origin``), not passed around.
"""

from nyx_app.services.audit.actions import AuditAction
from nyx_app.services.audit.origin import Origin, Via, current_origin, set_origin, use_origin
from nyx_app.services.audit.record import record, record_for_user

__all__ = [
    "AuditAction",
    "Origin",
    "Via",
    "current_origin",
    "record",
    "record_for_user",
    "set_origin",
    "use_origin",
]
