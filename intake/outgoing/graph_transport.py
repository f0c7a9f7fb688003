"""[smtp] transport = "graph": each mail through Graph's sendMail as the MIME message.

The MIME message goes base64-encoded as a text/plain body, so Graph sends it as written
(Message-ID, In-Reply-To, References, Auto-Submitted); saveToSentItems defaults to true for a
MIME send. Recipients are the message's own To/Cc headers. The outbox's states hold as for
SMTP: a refusal before the request went out is temporary, a refusal by Graph (4xx) is permanent,
and no answer after the request was sent in full is "uncertain" (it may have been sent).
"""

from __future__ import annotations

import base64

from casefile.config import Settings
from casefile.faults import checkpoint
from intake.auth.tokens import CACHE, TokenCache, TokenError
from intake.outgoing.delivery import DeliveryRecord
from intake.outgoing.transport import (
    ClosedOnExit,
    ConnectionFailure,
    LoginFailure,
    PermanentFailure,
    TemporaryFailure,
    UncertainDelivery,
    _recorded,
)
from intake.sources.graph import PERMISSION_HINT, GraphClient, GraphError, GraphUnreachable

# A kvittens is a few kB; Graph takes MIME messages up to 4 MB this way.
MAX_MIME_BYTES = 3_000_000


class GraphTransport(ClosedOnExit):
    def __init__(
        self,
        settings: Settings,
        deliveries: DeliveryRecord | None = None,
        tokens: TokenCache = CACHE,
    ) -> None:
        smtp = settings.smtp
        self.user = smtp.username or ""
        self.client = GraphClient(
            smtp.graph_url,
            self.user,
            smtp.oauth2,
            settings.oauth2[smtp.oauth2],
            timeout=smtp.timeout_seconds,
            ca_file=smtp.ca_file,
            tokens=tokens,
        )
        self._deliveries = deliveries

    def send(self, raw: bytes, sender: str, recipient: str, key: str) -> None:
        with _recorded(self._deliveries):
            self._send(raw)
            # The crash tests die here: Graph took the mail, the outbox does not know yet.
            checkpoint("graph_sent")

    def _send(self, raw: bytes) -> None:
        if len(raw) > MAX_MIME_BYTES:
            raise PermanentFailure(f"brevet är för stort för Graph sendMail ({len(raw)} byte)")
        try:
            self.client.request(
                "POST",
                self.client.url("sendMail"),
                body=base64.b64encode(raw),
                content_type="text/plain",
                limit=100_000,
            )
        except TokenError as exc:
            if exc.kind == "network":
                raise ConnectionFailure(str(exc)) from None
            raise LoginFailure(str(exc)) from None
        except GraphUnreachable as exc:
            if exc.sent:
                raise UncertainDelivery(f"Graph svarade inte efter sendMail: {exc}") from None
            raise ConnectionFailure(f"kan inte nå {self.client.base}: {exc}") from None
        except GraphError as exc:
            if exc.status in (401, 403):
                raise LoginFailure(
                    f"Graph nekade sendMail ({exc}): "
                    + PERMISSION_HINT.format(permission="Mail.Send", user=self.user),
                    exc.status,
                ) from None
            if exc.status in (429, 503) or exc.status >= 500:
                raise TemporaryFailure(f"Graph sendMail: {exc}", exc.status) from None
            raise PermanentFailure(f"Graph sendMail: {exc}", exc.status) from None

    def login_waiting(self) -> str | None:
        return None

    def close(self) -> None:
        self.client.close()
