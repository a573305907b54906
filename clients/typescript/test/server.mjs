// A real `conveyor serve` for a test file, and helpers. Not a test itself (no .test. in its name).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

// The repository's debug build (`swift build`), unless told otherwise.
export const BIN = process.env.CONVEYOR_BIN || new URL("../../../.build/debug/conveyor", import.meta.url).pathname;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function makeKey() {
  return "cvk_" + [...randomBytes(32)].map((b) => ALPHABET[b % ALPHABET.length]).join("");
}

export const uniqueName = (prefix) => prefix + randomBytes(5).toString("hex");

/** Poll `check` until it returns something truthy, or fail after `timeoutMs`. */
export async function eventually(check, { timeoutMs = 30_000, intervalMs = 50, what = "the condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function startServer() {
  const workdir = mkdtempSync(join(tmpdir(), "conveyor-tstest-"));
  const adminKey = makeKey();
  const env = {
    ...process.env,
    DATABASE_URL: process.env.CONVEYOR_TEST_DATABASE_URL || join(workdir, "conveyor.sqlite"),
    CONVEYOR_ADMIN_KEY: adminKey,
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    SHUTDOWN_DRAIN_SECONDS: "0",
    LOG_LEVEL: process.env.CONVEYOR_TEST_LOG_LEVEL || "warning",
  };
  const child = spawn(BIN, ["serve", "--host", "127.0.0.1", "--port", "0"], { cwd: workdir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`conveyor serve did not listen in 60 s:\n${output}`)), 60_000);
    const onData = (data) => {
      output += data;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => reject(new Error(`cannot run ${BIN}: ${e.message} (set CONVEYOR_BIN)`)));
    child.on("exit", (code) => reject(new Error(`conveyor serve exited (${code}):\n${output}`)));
  });

  async function admin(method, path, body) {
    const response = await fetch(url + path, {
      method,
      headers: { Authorization: `Bearer ${adminKey}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** A fresh customer and a key of its own. */
  async function tenant() {
    const name = uniqueName("t");
    await admin("POST", "/api/admin/customers", { name });
    const key = await admin("POST", "/api/admin/keys", { customer: name });
    return { name, key: key.key, keyId: key.id };
  }

  async function stop() {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(workdir, { recursive: true, force: true });
  }

  return { url, adminKey, admin, tenant, stop, output: () => output };
}

/** Claim jobs of `queue` as an HTTP worker (fetch, not the client) and complete each with `result(job)`. */
export async function work(url, key, queue, result, { max = 10 } = {}) {
  const response = await fetch(url + "/api/workers/claim", {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ queues: [queue], max, lease_seconds: 30, wait_seconds: 5 }),
  });
  if (response.status !== 200) throw new Error(`claim: ${response.status} ${await response.text()}`);
  const { jobs } = await response.json();
  for (const job of jobs) {
    const done = await fetch(url + `/api/jobs/${job.id}/complete`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ lease_token: job.lease_token, result: result(job) }),
    });
    if (done.status !== 200) throw new Error(`complete: ${done.status} ${await done.text()}`);
  }
  return jobs;
}
