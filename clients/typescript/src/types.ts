/** Requests (camelCase options) and answers (the server's JSON as is, snake_case members). */

/** Any JSON value. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

export type JobState = "scheduled" | "available" | "running" | "retryable" | "completed" | "dead" | "cancelled";
/** The states a job does not leave. */
export const FINISHED_STATES: readonly JobState[] = ["completed", "dead", "cancelled"];

export type EventType =
  | "job.enqueued"
  | "job.started"
  | "job.progress"
  | "job.completed"
  | "job.failed"
  | "job.dead"
  | "job.cancelled";

export interface ClientOptions {
  /** The server, e.g. "http://127.0.0.1:8080". */
  url: string;
  /** A key, "cvk_…". */
  apiKey: string;
  /** The customer of `/api/queue/{customer}` routes; default: the key's own (asked once from `GET /api/me`). */
  customer?: string;
  /** How many times a request refused with 429 (after its `Retry-After`), or a 502/503/504 or dropped
   * connection of a request that is safe to repeat, is sent again. Default 3. */
  maxRetries?: number;
  /** The longest `Retry-After` (seconds) a 429 is waited out for; a longer one is thrown at once
   * (a `ConveyorError` with `status` 429 and `retryAfter`). Default 60. */
  maxRetryAfterSeconds?: number;
  /** Each request's timeout in milliseconds (long polls get their wait on top). Default 30000. */
  timeoutMs?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

export interface AttemptError {
  message: string;
  at: string;
  attempt: number;
}

export interface Job {
  id: string;
  customer: string;
  queue: string;
  type: string;
  payload: JSONValue;
  priority?: number;
  state: JobState;
  run_at: string;
  attempt: number;
  max_attempts: number;
  lease_expires_at?: string | null;
  worker_id?: string | null;
  errors: AttemptError[];
  dead_reason?: string | null;
  replay_count?: number;
  idempotency_key?: string | null;
  created_at?: string;
  attempted_at?: string | null;
  finished_at?: string | null;
  first_failed_at?: string | null;
  last_failed_at?: string | null;
  result?: JSONValue;
  progress?: JSONValue;
  schedule?: string | null;
  scheduled_for?: string | null;
}

/** One job to make (`enqueue`, `enqueueMany`). Give `delaySeconds` or `runAt`, not both. */
export interface NewJob {
  queue: string;
  type: string;
  payload?: JSONValue;
  /** 0–9, higher first. */
  priority?: number;
  delaySeconds?: number;
  runAt?: Date | string;
  maxAttempts?: number;
}

export interface EnqueueOptions extends NewJob {
  /** Sent as the `Idempotency-Key` header (a structured-field string: the key in double quotes).
   * The same key answers the job it made the first time; such an enqueue is retried after a dropped connection. */
  idempotencyKey?: string;
}

export interface WaitOptions {
  /** Give up after this many seconds and answer the job as it is then. Default: wait as long as it takes. */
  timeoutSeconds?: number;
}

export interface ListJobsOptions {
  queue?: string | string[];
  state?: JobState | JobState[];
  type?: string | string[];
  /** Jobs a page (`limit`). Default 100. */
  pageSize?: number;
}

export interface JobPage {
  jobs: Job[];
  next_cursor: string | null;
  counts?: Record<string, Record<string, number>>;
  paused?: string[];
}

/** A job event (the `data` of an SSE event), plus the SSE `id`/`event`. A `reset` event (events after
 * the Last-Event-ID given were pruned) has `event: "reset"` and `reason`. */
export interface JobEvent {
  id: string;
  event: EventType | "reset" | string;
  at: string;
  job_id: string;
  customer: string;
  queue: string;
  type: string;
  attempt: number;
  state: JobState;
  result?: JSONValue;
  progress?: JSONValue;
  error?: string;
  run_at?: string;
  reason?: string;
}

export interface EventsOptions {
  queue?: string | string[];
  type?: EventType | EventType[];
  job?: string | string[];
  /** Start after this event (the server first sends what came after it). */
  lastEventId?: string;
  /** Reconnect (with Last-Event-ID) after a dropped connection. Default true. */
  reconnect?: boolean;
  /** Give up after this many reconnects in a row without a working connection. Default: never. */
  maxReconnects?: number;
  /** Stop the stream. */
  signal?: AbortSignal;
  /** Every event of every customer (`/api/events`, admin keys only) instead of one customer's. */
  allCustomers?: boolean;
}

export interface Me {
  customer: string | null;
  admin: boolean;
  key_id: string;
}

export type MissedPolicy = "skip" | "run_once" | "run_all" | string;

export interface ScheduleCreate {
  name: string;
  cron: string;
  queue: string;
  type: string;
  payload?: JSONValue;
  timezone?: string;
  missed?: MissedPolicy;
  priority?: number;
  maxAttempts?: number;
}

/** Members left out are kept as they are. */
export interface ScheduleChange {
  cron?: string;
  timezone?: string;
  missed?: MissedPolicy;
  queue?: string;
  type?: string;
  payload?: JSONValue;
  priority?: number;
  maxAttempts?: number;
}

export interface Schedule {
  customer: string;
  name: string;
  cron: string;
  timezone: string;
  missed: string;
  description: string;
  paused: boolean;
  queue: string;
  type: string;
  payload: JSONValue;
  priority: number;
  max_attempts: number;
  next_ticks: string[];
  last_tick: { [key: string]: JSONValue } | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookCreate {
  url: string;
  events?: EventType[];
  queue?: string | null;
  description?: string;
}

export interface WebhookChange {
  url?: string;
  events?: EventType[];
  queue?: string | null;
  description?: string;
  enabled?: boolean;
}

export interface WebhookEndpoint {
  id: string;
  customer: string;
  url: string;
  events: EventType[];
  queue: string | null;
  description: string;
  enabled: boolean;
  created_at: string;
  disabled_at: string | null;
  disabled_reason: string | null;
  failing_since: string | null;
  previous_secret_expires_at: string | null;
  /** Only in the answers of create and rotateSecret: "whsec_…". */
  secret?: string;
}

export interface WebhookAttempt {
  endpoint_id: string;
  job_id: string;
  webhook_id: string;
  event: string;
  attempt: number;
  at: string;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
}
