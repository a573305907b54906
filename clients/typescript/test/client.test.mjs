// The producing side against a real server: enqueue, wait, batches, listing, cancel, schedules, 429, /api/me.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startServer, uniqueName, work } from "./server.mjs";

const { Client, ConveyorError, CustomerRequiredError } = await import(
  fileURLToPath(new URL("../dist/index.js", import.meta.url))
);

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

async function newClient(options = {}) {
  const t = await server.tenant();
  return { t, client: new Client({ url: server.url, apiKey: t.key, customer: t.name, ...options }) };
}

test("enqueue → get → an HTTP worker completes it → wait answers it completed with the result", async () => {
  const { t, client } = await newClient();
  const queue = uniqueName("reports");
  const job = await client.enqueue({ queue, type: "report.build", payload: { user: 42 }, priority: 5, maxAttempts: 2 });
  assert.equal(job.state, "available");
  assert.deepEqual(job.payload, { user: 42 });
  assert.equal(job.priority, 5);
  assert.equal(job.max_attempts, 2);
  const got = await client.get(job.id);
  assert.equal(got.id, job.id);

  const waiting = client.wait(job.id, { timeoutSeconds: 30 });
  const claimed = await work(server.url, t.key, queue, (j) => ({ pages: j.payload.user }));
  assert.deepEqual(claimed.map((j) => j.id), [job.id]);
  const done = await waiting;
  assert.equal(done.state, "completed");
  assert.deepEqual(done.result, { pages: 42 });

  // A wait that times out answers the job as it is.
  const later = await client.enqueue({ queue, type: "report.build", payload: null, delaySeconds: 3600 });
  assert.equal(later.state, "scheduled");
  const started = Date.now();
  const still = await client.wait(later.id, { timeoutSeconds: 0.5 });
  assert.equal(still.state, "scheduled");
  assert.ok(Date.now() - started >= 400);
});

test("idempotencyKey: the same key answers the same job", async () => {
  const { t, client } = await newClient();
  const queue = uniqueName("pay");
  const one = await client.enqueue({ queue, type: "pay.once", payload: { amount: 10 }, idempotencyKey: "order-17" });
  const two = await client.enqueue({ queue, type: "pay.once", payload: { amount: 10 }, idempotencyKey: "order-17" });
  assert.equal(one.id, two.id);
  // Sent quoted; the server strips the quotes: the bare token names the same key.
  const raw = await fetch(`${server.url}/api/queue/${t.name}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${t.key}`, "Content-Type": "application/json", "Idempotency-Key": "order-17" },
    body: JSON.stringify({ queue, type: "pay.once", payload: { amount: 10 } }),
  });
  assert.equal(raw.status, 200);
  assert.equal((await raw.json()).id, one.id);
  await assert.rejects(client.enqueue({ queue, type: "pay.once", payload: { amount: 11 }, idempotencyKey: "order-17" }), (e) => {
    assert.ok(e instanceof ConveyorError);
    assert.equal(e.status, 422);
    return true;
  });
  await assert.rejects(client.enqueue({ queue, type: "x", payload: NaN }), TypeError);
});

test("enqueueMany is all or none: one bad job → 422 naming the field, nothing made", async () => {
  const { client } = await newClient();
  const queue = uniqueName("batch");
  const made = await client.enqueueMany([
    { queue, type: "a.b", payload: { n: 1 } },
    { queue, type: "a.b", payload: { n: 2 }, runAt: new Date(Date.now() + 3600_000) },
  ]);
  assert.equal(made.length, 2);
  assert.equal(made[1].state, "scheduled");

  const other = uniqueName("batch");
  await assert.rejects(
    client.enqueueMany([
      { queue: other, type: "a.b", payload: {} },
      { queue: other, type: "a.b", payload: {}, priority: 99 },
    ]),
    (e) => {
      assert.ok(e instanceof ConveyorError, String(e));
      assert.equal(e.status, 422);
      assert.match(e.field ?? "", /jobs\[1\].*priority|priority/);
      assert.ok(e.title);
      assert.ok(e.detail);
      return true;
    },
  );
  const left = [];
  for await (const job of client.jobs({ queue: other })) left.push(job);
  assert.equal(left.length, 0);
});

test("jobs() follows the cursor page after page", async () => {
  const { client } = await newClient();
  const queue = uniqueName("page");
  const made = await client.enqueueMany(Array.from({ length: 7 }, (_, n) => ({ queue, type: "a.b", payload: { n } })));
  const page = await client.listJobs({ queue, pageSize: 3 });
  assert.equal(page.jobs.length, 3);
  assert.ok(page.next_cursor);
  const seen = [];
  for await (const job of client.jobs({ queue, pageSize: 3 })) seen.push(job.id);
  assert.equal(seen.length, 7);
  assert.deepEqual(new Set(seen), new Set(made.map((j) => j.id)));
  const none = [];
  for await (const job of client.jobs({ queue, state: "completed", pageSize: 3 })) none.push(job);
  assert.equal(none.length, 0);
});

test("cancel, and cancelling a finished job is a 409", async () => {
  const { client } = await newClient();
  const job = await client.enqueue({ queue: uniqueName("c"), type: "a.b", payload: 1, delaySeconds: 600 });
  const cancelled = await client.cancel(job.id);
  assert.equal(cancelled.state, "cancelled");
  assert.equal((await client.wait(job.id, { timeoutSeconds: 5 })).state, "cancelled");
  await assert.rejects(client.cancel(job.id), (e) => e instanceof ConveyorError && e.status === 409);
  await assert.rejects(client.get("0190a000-0000-7000-8000-000000000000"), (e) => e instanceof ConveyorError && e.status === 404);
});

test("schedules: create, list, get, update, pause, resume, run, delete", async () => {
  const { client } = await newClient();
  const queue = uniqueName("sched");
  const made = await client.schedules.create({
    name: "nightly",
    cron: "0 3 * * *",
    timezone: "Europe/Berlin",
    queue,
    type: "report.build",
    payload: { kind: "daily" },
    maxAttempts: 4,
  });
  assert.equal(made.name, "nightly");
  assert.equal(made.max_attempts, 4);
  assert.equal(made.paused, false);
  assert.ok(made.next_ticks.length > 0);
  assert.deepEqual((await client.schedules.list()).map((s) => s.name), ["nightly"]);
  assert.equal((await client.schedules.get("nightly")).cron, "0 3 * * *");
  const changed = await client.schedules.update("nightly", { cron: "*/15 * * * *", priority: 7 });
  assert.equal(changed.cron, "*/15 * * * *");
  assert.equal(changed.priority, 7);
  assert.equal(changed.timezone, "Europe/Berlin"); // left out: kept
  assert.equal((await client.schedules.pause("nightly")).paused, true);
  assert.equal((await client.schedules.resume("nightly")).paused, false);
  const job = await client.schedules.run("nightly");
  assert.equal(job.queue, queue);
  assert.equal(job.schedule, "nightly");
  assert.deepEqual(job.payload, { kind: "daily" });
  await client.schedules.delete("nightly");
  await assert.rejects(client.schedules.get("nightly"), (e) => e instanceof ConveyorError && e.status === 404);
  await assert.rejects(
    client.schedules.create({ name: "bad", cron: "not a cron", queue, type: "a.b" }),
    (e) => e instanceof ConveyorError && e.status === 422 && e.field === "cron",
  );
});

test("429: waited out after Retry-After and retried; a long Retry-After or maxRetries 0 surfaces it", async () => {
  const { t } = await newClient();
  await server.admin("PUT", `/api/admin/customers/${t.name}/rate-limit`, { requests: 2, window_seconds: 2 });
  const statuses = [];
  const counting = async (input, init) => {
    const response = await fetch(input, init);
    statuses.push(response.status);
    return response;
  };
  const client = new Client({ url: server.url, apiKey: t.key, customer: t.name, maxRetries: 5, fetch: counting });
  const queue = uniqueName("rl");
  const made = [];
  for (let n = 0; n < 4; n++) made.push(await client.enqueue({ queue, type: "a.b", payload: { n } }));
  assert.equal(new Set(made.map((j) => j.id)).size, 4);
  assert.ok(statuses.includes(429), `some request was refused and retried: ${statuses}`);

  const impatient = new Client({ url: server.url, apiKey: t.key, customer: t.name, maxRetries: 0 });
  await assert.rejects(
    (async () => {
      for (let n = 0; n < 5; n++) await impatient.get(made[0].id);
    })(),
    (e) => e instanceof ConveyorError && e.status === 429 && e.retryAfter !== undefined && e.retryAfter <= 2,
  );

  // An hour-long window: the default client does not sleep for an hour, it throws the 429 at once.
  await server.admin("PUT", `/api/admin/customers/${t.name}/rate-limit`, { requests: 2, window_seconds: 3600 });
  const patient = new Client({ url: server.url, apiKey: t.key, customer: t.name });
  const started = Date.now();
  await assert.rejects(
    (async () => {
      for (let n = 0; n < 5; n++) await patient.get(made[0].id);
    })(),
    (e) => e instanceof ConveyorError && e.status === 429 && e.retryAfter > 60 && /429/.test(e.message),
  );
  assert.ok(Date.now() - started < 10_000);
  await server.admin("DELETE", `/api/admin/customers/${t.name}/rate-limit`);
});

test("a customer key without `customer` asks /api/me once; an admin key must name one", async () => {
  const t = await server.tenant();
  const paths = [];
  const recording = (input, init) => {
    paths.push(new URL(String(input)).pathname);
    return fetch(input, init);
  };
  const client = new Client({ url: server.url, apiKey: t.key, fetch: recording });
  assert.equal(await client.customer(), t.name);
  const job = await client.enqueue({ queue: "reports", type: "report.build", payload: { user: 42 } });
  assert.equal(job.customer, t.name);
  await client.enqueue({ queue: "reports", type: "report.build", payload: { user: 43 } });
  assert.equal(paths.filter((p) => p === "/api/me").length, 1);
  const me = await client.me();
  assert.equal(me.customer, t.name);
  assert.equal(me.admin, false);

  const admin = new Client({ url: server.url, apiKey: server.adminKey });
  await assert.rejects(admin.enqueue({ queue: "q", type: "a.b", payload: 1 }), (e) => {
    assert.ok(e instanceof CustomerRequiredError);
    assert.match(e.message, /customer/);
    return true;
  });
  const forTenant = new Client({ url: server.url, apiKey: server.adminKey, customer: t.name });
  assert.equal((await forTenant.get(job.id)).id, job.id);
  await assert.rejects(new Client({ url: server.url, apiKey: "cvk_" + "x".repeat(32) }).customer(), (e) => e instanceof ConveyorError && e.status === 401);
});
