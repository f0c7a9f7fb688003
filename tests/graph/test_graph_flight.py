"""Requests in flight: up to four per mailbox, a 429/503 storm that delays and loses nothing,
and a Retry-After that holds back every client of the mailbox, not just the one throttled."""

from __future__ import annotations

import threading
import time

from casefile.app import App
from intake.sources.graph import IN_FLIGHT, GraphClient
from tests.graph.test_graph_poll import counts, poll_ok, report
from tests.support.graph_server import GraphStub


def test_messages_are_fetched_up_to_four_at_a_time_through_a_429_storm(
    graph_app: App, graph: GraphStub
) -> None:
    """Given eight messages whose $value takes 0.3 s each and five throttled answers to $value
    requests (429 and 503), when polled, then more than one and at most four requests were in
    flight at once, and all eight are registered once and moved."""
    for i in range(8):
        graph.deliver(report(f"Rapport {i}"), f"2026-02-0{i + 1}T09:00:00Z")
    graph.value_delay = 0.3
    graph.throttle_match = "$value"
    graph.throttle = [(429, "0"), (503, "0"), (429, "0"), (503, "0"), (429, "0")]
    poll_ok(graph_app)
    assert 1 < graph.max_in_flight <= IN_FLIGHT
    assert not graph.throttle  # the storm was met
    assert counts(graph_app) == (8, 8)
    assert len(graph.in_folder("Diarieförda")) == 8 and not graph.in_folder("Inbox")
    poll_ok(graph_app)
    assert counts(graph_app) == (8, 8)


def test_retry_after_holds_back_the_other_clients_of_the_mailbox(
    graph_app: App, graph: GraphStub
) -> None:
    """Given one client answered 429 with Retry-After: 1, when a second client of the same
    mailbox (the sendMail transport, say) asks 0.1 s later, then its request goes out only
    when the second is over."""
    box = graph_app.settings.mailboxes[0]
    cred = graph_app.settings.oauth2[box.oauth2]

    def client() -> GraphClient:
        return GraphClient(graph.url, box.username, box.oauth2, cred, ca_file=box.ca_file)

    url = client().url("mailFolders/inbox")
    client().json("GET", url)  # the token is fetched before the clock starts
    graph.throttle = [(429, "1")]
    start = time.monotonic()
    first = threading.Thread(target=client().json, args=("GET", url))
    first.start()
    time.sleep(0.1)
    client().json("GET", url)
    first.join()
    # Three requests after the start: the throttled one, its retry, the other client's.
    late = [t - start for t in graph.arrived[-3:]]
    assert late[0] < 0.1 and min(late[1:]) >= 0.95
