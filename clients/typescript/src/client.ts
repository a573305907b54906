/** The producing side of the HTTP API: enqueue, wait, list, cancel, events, schedules, webhooks. */

import { ConveyorError, CustomerRequiredError, NetworkError, parseRetryAfter, type Problem } from "./errors.js";
import { EventStream } from "./events.js";
import {
  FINISHED_STATES,
  type ClientOptions,
  type EnqueueOptions,
  type EventsOptions,
  type Job,
  type JobPage,
  type ListJobsOptions,
  type Me,
  type NewJob,
  type Schedule,
  type ScheduleChange,
  type ScheduleCreate,
  type WaitOptions,
  type WebhookAttempt,
  type WebhookChange,
  type WebhookCreate,
  type WebhookEndpoint,
} from "./types.js";

export const USER_AGENT = "conveyor-typescript/0.1.0";
/** The most the server waits in one long poll (`?wait=`). */
export const MAX_SERVER_WAIT = 60;
/** Added to a long poll's wait for the request's own timeout (ms). */
const LONG_POLL_MARGIN_MS = 15_000;

type Query = Array<[string, string | number | boolean | undefined]>;

export interface RequestInit_ {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sending it twice does what sending it once does: a dropped answer or a 502/503/504 may be retried. */
  idempotent?: boolean;
  timeoutMs?: number;
}

const seg = (value: string) => encodeURIComponent(value);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** 250 ms, 500 ms, 1 s… (at most 8 s), with jitter. */
export const backoff = (attempt: number) => Math.min(8000, 250 * 2 ** attempt) * (0.8 + Math.random() * 0.4);

/** Strict JSON (RFC 8259, as the server parses it): NaN and infinities are refused, not turned into null. */
export function encodeJSON(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v === "number" && !Number.isFinite(v)) throw new TypeError(`${v} is not JSON`);
    if (typeof v === "bigint") throw new TypeError("a BigInt is not JSON");
    return v;
  });
}

function many(name: string, value: string | readonly string[] | undefined): Query {
  if (value === undefined) return [];
  return (typeof value === "string" ? [value] : value).map((v) => [name, v]);
}

function jobBody(job: NewJob): Record<string, unknown> {
  const known = new Set(["queue", "type", "payload", "priority", "delaySeconds", "runAt", "maxAttempts", "idempotencyKey"]);
  const unknown = Object.keys(job).filter((k) => !known.has(k));
  if (unknown.length) throw new TypeError(`unknown job member(s) ${unknown.join(", ")}; a job takes ${[...known].join(", ")}`);
  if (job.delaySeconds !== undefined && job.runAt !== undefined) throw new TypeError("give delaySeconds or runAt, not both");
  const body: Record<string, unknown> = { queue: job.queue, type: job.type, payload: job.payload ?? null };
  if (job.priority !== undefined) body.priority = job.priority;
  if (job.delaySeconds !== undefined) body.delay_seconds = job.delaySeconds;
  if (job.runAt !== undefined) body.run_at = job.runAt instanceof Date ? job.runAt.toISOString() : job.runAt;
  if (job.maxAttempts !== undefined) body.max_attempts = job.maxAttempts;
  return body;
}

function isNotSent(error: unknown): boolean {
  // fetch's TypeError("fetch failed") carries the socket error: a refused connection surely sent nothing.
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
}

export class Client {
  readonly url: string;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  readonly maxRetryAfterSeconds: number;
  readonly schedules: Schedules;
  readonly webhooks: Webhooks;
  /** @internal */ readonly fetch: typeof fetch;
  #apiKey: string;
  #customer: string | undefined;
  #me: Promise<Me> | undefined;

  constructor(options: ClientOptions) {
    if (!options || !options.url) throw new TypeError("Client needs { url, apiKey }");
    if (!options.apiKey) throw new TypeError("Client needs an apiKey (\"cvk_…\")");
    const maxRetries = options.maxRetries ?? 3;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new TypeError("maxRetries must be an integer, 0 or more");
    this.url = options.url.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    this.#customer = options.customer || undefined;
    this.maxRetries = maxRetries;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 60;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== "function") throw new TypeError("no fetch: use Node 18+ or pass { fetch }");
    this.fetch = f.bind(globalThis);
    this.schedules = new Schedules(this);
    this.webhooks = new Webhooks(this);
  }

  /** The headers every request carries. @internal */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { Authorization: `Bearer ${this.#apiKey}`, Accept: "application/json", "User-Agent": USER_AGENT, ...extra };
  }

  /** Send one request; the parsed JSON answer (undefined for 204), or a ConveyorError. */
  async request<T>(method: string, path: string, init: RequestInit_ = {}): Promise<T> {
    let url = this.url + path;
    const query = (init.query ?? []).filter(([, v]) => v !== undefined) as Array<[string, string | number | boolean]>;
    if (query.length) url += "?" + new URLSearchParams(query.map(([k, v]) => [k, String(v)])).toString();
    const headers = this.headers(init.headers);
    let body: string | undefined;
    if (init.body !== undefined) {
      body = encodeJSON(init.body);
      headers["Content-Type"] = "application/json";
    }
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), init.timeoutMs ?? this.timeoutMs);
      let response: Response;
      let text: string;
      try {
        response = await this.fetch(url, { method, headers, body, signal: controller.signal });
        text = await response.text();
      } catch (error) {
        if (attempt < this.maxRetries && (init.idempotent || isNotSent(error))) {
          await sleep(backoff(attempt));
          continue;
        }
        const why = controller.signal.aborted ? "timed out" : String((error as Error)?.cause ?? error);
        throw new NetworkError(`${method} ${path}: ${why}`, { cause: error });
      } finally {
        clearTimeout(timer);
      }
      if (response.status < 400) return (text ? JSON.parse(text) : undefined) as T;
      const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
      if (attempt < this.maxRetries) {
        // Over the request quota: Retry-After says when. A backlog-quota refusal has none: retrying soon
        // would not help, so it is the caller's to decide.
        if (response.status === 429 && retryAfter !== undefined && retryAfter <= this.maxRetryAfterSeconds) {
          await sleep(retryAfter * 1000);
          continue;
        }
        if ([502, 503, 504].includes(response.status) && init.idempotent) {
          await sleep(Math.max(backoff(attempt), (retryAfter ?? 0) * 1000));
          continue;
        }
      }
      throw errorFrom(response, text, method, url, retryAfter);
    }
  }

  /** Who the key speaks for (`GET /api/me`), asked once. */
  me(): Promise<Me> {
    if (!this.#me) {
      this.#me = this.request<Me>("GET", "/api/me", { idempotent: true });
      this.#me.catch(() => (this.#me = undefined)); // a failure is not cached
    }
    return this.#me;
  }

  /** The customer of `/api/queue/{customer}` routes: the one given, else the key's own. */
  async customer(): Promise<string> {
    if (this.#customer) return this.#customer;
    const me = await this.me();
    if (typeof me.customer === "string" && me.customer) return (this.#customer = me.customer);
    throw new CustomerRequiredError(
      "this call's route is /api/queue/{customer}/…, and this is an admin key, which acts for any customer: " +
        "name one with new Client({ url, apiKey, customer: \"acme\" })",
    );
  }

  async #queuePath(suffix = ""): Promise<string> {
    return `/api/queue/${seg(await this.customer())}${suffix}`;
  }

  /** Make one job. With `idempotencyKey`, the same key answers the job it made the first time. */
  async enqueue(options: EnqueueOptions): Promise<Job> {
    const { idempotencyKey, ...job } = options;
    const headers: Record<string, string> = {};
    if (idempotencyKey !== undefined) {
      if (!/^[\x20-\x7e]{1,255}$/.test(idempotencyKey)) throw new TypeError("idempotencyKey: 1–255 printable ASCII characters");
      // A structured-field string: the server strips the quotes (and only them).
      headers["Idempotency-Key"] = `"${idempotencyKey}"`;
    }
    return this.request<Job>("POST", await this.#queuePath(), {
      body: jobBody(job),
      headers,
      idempotent: idempotencyKey !== undefined,
    });
  }

  /** Make several jobs in one transaction: all of them, or (on any error) none. */
  async enqueueMany(jobs: readonly NewJob[]): Promise<Job[]> {
    const bodies = jobs.map((job) => {
      if ("idempotencyKey" in job) throw new TypeError("enqueueMany: a batch job takes no idempotencyKey");
      return jobBody(job);
    });
    const answer = await this.request<{ jobs: Job[] }>("POST", await this.#queuePath("/batch"), { body: { jobs: bodies } });
    return answer.jobs;
  }

  /** A job by id. `waitSeconds` (≤ 60): answer as soon as it finishes, or as it is when the wait is over. */
  get(id: string, options: { waitSeconds?: number } = {}): Promise<Job> {
    const wait = options.waitSeconds === undefined ? undefined : Math.max(0, Math.min(options.waitSeconds, MAX_SERVER_WAIT));
    return this.request<Job>("GET", `/api/jobs/${seg(id)}`, {
      query: wait === undefined ? [] : [["wait", wait.toFixed(3)]],
      idempotent: true,
      timeoutMs: wait === undefined ? undefined : wait * 1000 + LONG_POLL_MARGIN_MS,
    });
  }

  /** The job once it is finished (completed, dead or cancelled), or as it is when `timeoutSeconds` have
   * passed (default: wait as long as it takes). Long-polls the server's `?wait=`. */
  async wait(id: string, options: WaitOptions = {}): Promise<Job> {
    const deadline = options.timeoutSeconds === undefined ? undefined : Date.now() + options.timeoutSeconds * 1000;
    for (;;) {
      const remaining = deadline === undefined ? MAX_SERVER_WAIT : Math.max(0, (deadline - Date.now()) / 1000);
      const job = await this.get(id, { waitSeconds: Math.min(remaining, MAX_SERVER_WAIT) });
      if (FINISHED_STATES.includes(job.state) || (deadline !== undefined && Date.now() >= deadline)) return job;
    }
  }

  /** Cancel a job that has not finished (409 when it has). */
  cancel(id: string): Promise<Job> {
    return this.request<Job>("POST", `/api/jobs/${seg(id)}/cancel`);
  }

  /** One page of the customer's jobs, newest first, with counts per queue and state. */
  async listJobs(options: ListJobsOptions & { cursor?: string } = {}): Promise<JobPage> {
    return this.request<JobPage>("GET", await this.#queuePath(), {
      query: [
        ...many("state", options.state),
        ...many("queue", options.queue),
        ...many("type", options.type),
        ["limit", options.pageSize ?? 100],
        ["cursor", options.cursor || undefined],
      ],
      idempotent: true,
    });
  }

  /** Every job matching the filters, newest first, following the cursor page after page. */
  async *jobs(options: ListJobsOptions = {}): AsyncGenerator<Job, void, undefined> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.listJobs({ ...options, cursor });
      yield* page.jobs;
      if (!page.next_cursor) return;
      cursor = page.next_cursor;
    }
  }

  /** The customer's job events (SSE) as an async iterator, resuming with Last-Event-ID after a drop.
   * `await stream.open()` to be subscribed before doing what makes the events. */
  events(options: EventsOptions = {}): EventStream {
    const query: Query = [...many("queue", options.queue), ...many("type", options.type), ...many("job", options.job)];
    const path = options.allCustomers ? Promise.resolve("/api/events") : this.#queuePath("/events");
    return new EventStream(this, path, query, options);
  }
}

function errorFrom(response: Response, text: string, method: string, url: string, retryAfter?: number): ConveyorError {
  let problem: Problem | undefined;
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) problem = parsed as Problem;
  } catch {
    // not JSON
  }
  problem ??= { title: response.statusText, detail: text.slice(0, 500) };
  return new ConveyorError(response.status, problem, { method, url, retryAfter });
}

function changes(members: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(members).filter(([, v]) => v !== undefined));
}

/** `client.schedules`: the customer's recurring jobs. */
export class Schedules {
  constructor(private readonly client: Client) {}

  async #path(name?: string, suffix = ""): Promise<string> {
    const base = `/api/queue/${seg(await this.client.customer())}/schedules`;
    return name === undefined ? base : `${base}/${seg(name)}${suffix}`;
  }

  async create(schedule: ScheduleCreate): Promise<Schedule> {
    const { maxAttempts, ...rest } = schedule;
    const body = changes({ ...rest, payload: rest.payload ?? null, max_attempts: maxAttempts });
    return this.client.request<Schedule>("POST", await this.#path(), { body });
  }
  async list(): Promise<Schedule[]> {
    return (await this.client.request<{ schedules: Schedule[] }>("GET", await this.#path(), { idempotent: true })).schedules;
  }
  async get(name: string): Promise<Schedule> {
    return this.client.request<Schedule>("GET", await this.#path(name), { idempotent: true });
  }
  /** Change some members; those left out are kept. */
  async update(name: string, change: ScheduleChange): Promise<Schedule> {
    const { maxAttempts, ...rest } = change;
    const body = changes({ ...rest, max_attempts: maxAttempts });
    return this.client.request<Schedule>("PATCH", await this.#path(name), { body, idempotent: true });
  }
  async delete(name: string): Promise<void> {
    await this.client.request<void>("DELETE", await this.#path(name), { idempotent: true });
  }
  async pause(name: string): Promise<Schedule> {
    return this.client.request<Schedule>("PUT", await this.#path(name, "/pause"), { idempotent: true });
  }
  async resume(name: string): Promise<Schedule> {
    return this.client.request<Schedule>("DELETE", await this.#path(name, "/pause"), { idempotent: true });
  }
  /** Make one of its jobs now (a tick of its own); the job made. */
  async run(name: string): Promise<Job> {
    return this.client.request<Job>("POST", await this.#path(name, "/run"));
  }
}

/** `client.webhooks`: the customer's webhook endpoints. */
export class Webhooks {
  constructor(private readonly client: Client) {}

  async #path(id?: string, suffix = ""): Promise<string> {
    const base = `/api/queue/${seg(await this.client.customer())}/webhooks`;
    return id === undefined ? base : `${base}/${seg(id)}${suffix}`;
  }

  /** The answer carries the endpoint's `secret` ("whsec_…"), shown only here and by rotateSecret. */
  async create(endpoint: WebhookCreate): Promise<WebhookEndpoint> {
    return this.client.request<WebhookEndpoint>("POST", await this.#path(), { body: changes({ ...endpoint }) });
  }
  async list(): Promise<WebhookEndpoint[]> {
    return (await this.client.request<{ webhooks: WebhookEndpoint[] }>("GET", await this.#path(), { idempotent: true })).webhooks;
  }
  async get(id: string): Promise<WebhookEndpoint> {
    return this.client.request<WebhookEndpoint>("GET", await this.#path(id), { idempotent: true });
  }
  async update(id: string, change: WebhookChange): Promise<WebhookEndpoint> {
    return this.client.request<WebhookEndpoint>("PATCH", await this.#path(id), { body: changes({ ...change }), idempotent: true });
  }
  async delete(id: string): Promise<void> {
    await this.client.request<void>("DELETE", await this.#path(id), { idempotent: true });
  }
  /** A new secret; the old one keeps signing alongside it for a while (`previous_secret_expires_at`). */
  async rotateSecret(id: string): Promise<WebhookEndpoint> {
    return this.client.request<WebhookEndpoint>("POST", await this.#path(id, "/rotate-secret"));
  }
  /** Its latest delivery attempts. */
  async attempts(id: string): Promise<WebhookAttempt[]> {
    return (await this.client.request<{ attempts: WebhookAttempt[] }>("GET", await this.#path(id, "/attempts"), { idempotent: true }))
      .attempts;
  }
}
