// Webhook endpoints over the API, and verifyWebhook against a real signed delivery.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { startServer, uniqueName, eventually } from "./server.mjs";

const { Client, ConveyorError, verifyWebhook } = await import(fileURLToPath(new URL("../dist/index.js", import.meta.url)));

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

/** A local endpoint that keeps each delivery (headers, raw body) and answers 204. */
async function receiver() {
  const deliveries = [];
  const httpd = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => httpd.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${httpd.address().port}/hooks/conveyor`,
    deliveries,
    close: () => new Promise((r) => { httpd.closeAllConnections?.(); httpd.close(r); }),
  };
}

test("webhook endpoints: create, list, get, update, rotateSecret, attempts, delete", async () => {
  const t = await server.tenant();
  const client = new Client({ url: server.url, apiKey: t.key, customer: t.name });
  const made = await client.webhooks.create({ url: "https://example.com/hooks", events: ["job.completed"], description: "crud" });
  assert.match(made.secret, /^whsec_/);
  assert.deepEqual(made.events, ["job.completed"]);
  assert.equal(made.enabled, true);
  const listed = await client.webhooks.list();
  assert.deepEqual(listed.map((w) => w.id), [made.id]);
  assert.equal(listed[0].secret, undefined);
  assert.equal((await client.webhooks.get(made.id)).description, "crud");
  const changed = await client.webhooks.update(made.id, { enabled: false, description: "off" });
  assert.equal(changed.enabled, false);
  assert.equal(changed.description, "off");
  assert.equal(changed.url, "https://example.com/hooks");
  const rotated = await client.webhooks.rotateSecret(made.id);
  assert.match(rotated.secret, /^whsec_/);
  assert.notEqual(rotated.secret, made.secret);
  assert.deepEqual(await client.webhooks.attempts(made.id), []);
  await client.webhooks.delete(made.id);
  await assert.rejects(client.webhooks.get(made.id), (e) => e instanceof ConveyorError && e.status === 404);
  await assert.rejects(client.webhooks.create({ url: "not a url" }), (e) => e instanceof ConveyorError && e.status === 422 && e.field === "url");
});

test("verifyWebhook accepts a real signed delivery and refuses a tampered one", async () => {
  const t = await server.tenant();
  const client = new Client({ url: server.url, apiKey: t.key, customer: t.name });
  const hook = await receiver();
  try {
    const queue = uniqueName("wh");
    const endpoint = await client.webhooks.create({ url: hook.url, events: ["job.enqueued"], queue });
    const job = await client.enqueue({ queue, type: "report.build", payload: { user: 42 } });
    const { headers, body } = await eventually(() => hook.deliveries[0], { timeoutMs: 60_000, what: "a delivery" });
    const delivery = JSON.parse(body.toString("utf8"));
    assert.equal(delivery.type, "job.enqueued");
    assert.equal(delivery.data.job_id, job.id);

    assert.equal(await verifyWebhook(headers, body, endpoint.secret), true);
    assert.equal(await verifyWebhook(new Headers(headers), body.toString("utf8"), [endpoint.secret]), true);
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    assert.equal(await verifyWebhook(upper, new Uint8Array(body), endpoint.secret), true);

    const text = body.toString("utf8");
    const tampered = text.includes('"user"') ? text.replace('"user"', '"usr"') : text + " ";
    assert.equal(await verifyWebhook(headers, tampered, endpoint.secret), false);
    assert.equal(await verifyWebhook({ ...headers, "webhook-id": "msg_forged" }, body, endpoint.secret), false);
    assert.equal(await verifyWebhook(headers, body, "whsec_" + Buffer.from("another secret key!").toString("base64")), false);
    const stale = Number(headers["webhook-timestamp"]) + 3600;
    assert.equal(await verifyWebhook(headers, body, endpoint.secret, { now: stale }), false);
    const unsigned = { ...headers };
    delete unsigned["webhook-signature"];
    assert.equal(await verifyWebhook(unsigned, body, endpoint.secret), false);

    const rotated = await client.webhooks.rotateSecret(endpoint.id);
    assert.equal(await verifyWebhook(headers, body, rotated.secret), false); // signed with the old secret only
    assert.equal(await verifyWebhook(headers, body, [rotated.secret, endpoint.secret]), true);

    const attempts = await eventually(async () => {
      const list = await client.webhooks.attempts(endpoint.id);
      return list.length ? list : undefined;
    }, { what: "the attempt to be recorded" });
    const ours = attempts.find((a) => a.webhook_id === headers["webhook-id"]);
    assert.ok(ours, JSON.stringify(attempts));
    assert.equal(ours.event, "job.enqueued");
    assert.equal(ours.status_code, 204);
  } finally {
    await hook.close();
  }
});
