// events(): SSE over fetch, and resuming with Last-Event-ID after a dropped connection.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { startServer, uniqueName, work } from "./server.mjs";

const { Client } = await import(fileURLToPath(new URL("../dist/index.js", import.meta.url)));

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

/** A TCP proxy to the server that can drop every connection, and records each request's head. */
async function proxy(target) {
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  const heads = [];
  const listener = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let first = true;
    client.on("data", (data) => {
      if (first) heads.push(data.toString("latin1").split("\r\n\r\n")[0]);
      first = false;
      upstream.write(data);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise((r) => listener.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${listener.address().port}`,
    heads,
    drop: () => sockets.forEach((s) => s.destroy()),
    close: () => new Promise((r) => { sockets.forEach((s) => s.destroy()); listener.close(r); }),
  };
}

/** The next `n` events of an iterator, within `ms`. */
async function take(iterator, n, ms = 30_000) {
  const got = [];
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} events: ${JSON.stringify(got)}`)), ms)));
  try {
    while (got.length < n) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) throw new Error("the stream ended");
      got.push(next.value);
    }
    return got;
  } finally {
    clearTimeout(timer);
  }
}

test("events() sees job.enqueued and job.completed", async () => {
  const t = await server.tenant();
  const client = new Client({ url: server.url, apiKey: t.key, customer: t.name });
  const queue = uniqueName("ev");
  const stream = client.events({ queue });
  await stream.open(); // subscribed before the job is made
  const it = stream[Symbol.asyncIterator]();
  const job = await client.enqueue({ queue, type: "report.build", payload: { user: 1 } });
  await work(server.url, t.key, queue, () => ({ ok: true }));
  const events = await take(it, 3);
  assert.deepEqual(events.map((e) => e.event), ["job.enqueued", "job.started", "job.completed"]);
  assert.ok(events.every((e) => e.job_id === job.id && e.queue === queue && e.id));
  assert.deepEqual(events[2].result, { ok: true });
  assert.equal(stream.lastEventId, events[2].id);
  stream.close();
  assert.equal((await it.next()).done, true);

  // A new stream from an event's id gets what came after it.
  const later = client.events({ queue, lastEventId: events[0].id, type: ["job.started", "job.completed"] });
  const replayed = await take(later[Symbol.asyncIterator](), 2);
  assert.deepEqual(replayed.map((e) => e.id), [events[1].id, events[2].id]);
  later.close();
});

test("a dropped connection is resumed with Last-Event-ID: nothing missed, nothing twice", async () => {
  const t = await server.tenant();
  const via = await proxy(server.url);
  try {
    const direct = new Client({ url: server.url, apiKey: t.key, customer: t.name });
    const client = new Client({ url: via.url, apiKey: t.key, customer: t.name });
    const queue = uniqueName("drop");
    const stream = client.events({ queue, type: "job.enqueued" });
    await stream.open();
    const it = stream[Symbol.asyncIterator]();
    const first = await direct.enqueue({ queue, type: "a.b", payload: { n: 1 } });
    const [one] = await take(it, 1);
    assert.equal(one.job_id, first.id);

    via.drop(); // the connection dies; the next two jobs are made while it is down or reconnecting
    const second = await direct.enqueue({ queue, type: "a.b", payload: { n: 2 } });
    const third = await direct.enqueue({ queue, type: "a.b", payload: { n: 3 } });
    const rest = await take(it, 2);
    assert.deepEqual(rest.map((e) => e.job_id), [second.id, third.id]);
    const streams = via.heads.filter((h) => h.includes("/events"));
    assert.ok(streams.length >= 2, "it reconnected");
    assert.match(streams.at(-1), new RegExp(`last-event-id: ${one.id}`, "i"));
    stream.close();
  } finally {
    await via.close();
  }
});
