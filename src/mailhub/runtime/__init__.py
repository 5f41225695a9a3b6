"""The hub at work: the supervisor (one worker set per active account), health checks, events, webhooks.

``Runtime`` wires them together for ``mailhub serve``; ``EventLog.publish`` is what workers report through.
"""

from mailhub.runtime.events import Event, EventLog, Subscription, kind_matches
from mailhub.runtime.hub import Runtime
from mailhub.runtime.supervisor import Supervisor
from mailhub.runtime.webhooks import WebhookEndpoint, WebhookError, Webhooks, sign, signature_ok

__all__ = [
    "Event",
    "EventLog",
    "Runtime",
    "Subscription",
    "Supervisor",
    "WebhookEndpoint",
    "WebhookError",
    "Webhooks",
    "kind_matches",
    "sign",
    "signature_ok",
]
