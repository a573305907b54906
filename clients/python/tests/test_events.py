"""The event stream: filters, and resuming with Last-Event-ID after a dropped connection."""

from __future__ import annotations

from conftest import Server, Tenant
from helpers import Collector, queue_name
from tcp_proxy import Proxy

from conveyor import Client
from conveyor.sse import ServerSentEvent, SSEParser, to_event


def test_a_dropped_stream_resumes_with_last_event_id(server: Server, tenant: Tenant, client: Client) -> None:
    q = queue_name()
    with Proxy(server.url) as proxy:
        through_proxy = Client(proxy.url, api_key=tenant.key, customer=tenant.name)
        with through_proxy.events(queue=q, type="job.enqueued") as stream:
            events = Collector(stream)
            first = client.enqueue(q, "a.b", {"n": 1})
            seen = events.wait_for(lambda e: e.job_id == first.id)
            assert seen.event == "job.enqueued"

            proxy.hold()  # the stream cannot come back before the next job is made…
            proxy.drop_all()
            second = client.enqueue(q, "a.b", {"n": 2})
            client.enqueue(queue_name(), "a.b", {"other": "queue"})  # filtered out
            proxy.release()  # …so it gets it only by resuming after the last event it saw
            missed = events.wait_for(lambda e: e.job_id == second.id)
            assert missed.event == "job.enqueued" and missed.queue == q
            assert proxy.connections == 2
            assert f"last-event-id: {seen.id}".encode() in proxy.heads[-1].lower()
            assert stream.last_event_id == missed.id
            assert [e.job_id for e in events.seen] == [first.id, second.id]
            stream.close()
        through_proxy.close()


def test_events_can_start_from_a_given_id(client: Client) -> None:
    q = queue_name()
    with client.events(queue=q) as stream:
        events = Collector(stream)
        first = client.enqueue(q, "a.b", 1)
        mark = events.wait_for(lambda e: e.job_id == first.id)
        stream.close()
    second = client.enqueue(q, "a.b", 2)
    with client.events(queue=q, last_event_id=mark.id) as resumed:
        later = Collector(resumed)
        event = later.wait_for(lambda e: e.job_id == second.id)
        assert event.event == "job.enqueued" and [e.job_id for e in later.seen] == [second.id]
        resumed.close()


def test_the_event_stream_grammar() -> None:
    parser = SSEParser()
    lines = [
        ": subscribed",
        "",
        "id: 41",
        "event: job.completed",
        'data: {"id":"41","job_id":"j",',
        'data: "result":[1]}',
        "",
    ]
    events = [e for e in (parser.feed(line) for line in lines) if e is not None]
    assert events == [ServerSentEvent("job.completed", '{"id":"41","job_id":"j",\n"result":[1]}', "41")]
    parsed = to_event(
        ServerSentEvent("job.completed", '{"id":"41","event":"job.completed","job_id":"j","result":[1]}', "41")
    )
    assert parsed is not None and parsed.result == [1] and parsed.id == "41"
    reset = to_event(ServerSentEvent("reset", '{"reason":"pruned"}', None))
    assert reset is not None and reset.event == "reset" and reset.raw == {"reason": "pruned"}
