/** Errors. Every error answer of the server is a `ConveyorError` carrying its RFC 9457 problem. */

/** An RFC 9457 problem document, as the server sends it (`application/problem+json`). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  /** 422: the input that broke a rule (e.g. `jobs[1].queue`). */
  field?: string;
  /** 409 on lease calls: "lease_lost" or "cancelled". */
  reason?: string;
  [member: string]: unknown;
}

/** The server answered with an error status. */
export class ConveyorError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly field: string | undefined;
  readonly reason: string | undefined;
  readonly problem: Problem;
  /** 429: seconds until the quota returns (`Retry-After`); undefined when the server gave none. */
  readonly retryAfter: number | undefined;
  readonly method: string;
  readonly url: string;

  constructor(status: number, problem: Problem, init: { method?: string; url?: string; retryAfter?: number } = {}) {
    const title = typeof problem.title === "string" ? problem.title : "";
    const detail = typeof problem.detail === "string" ? problem.detail : "";
    const field = typeof problem.field === "string" ? problem.field : undefined;
    let message = `${status} ${title}`.trim();
    if (detail) message += `: ${detail}`;
    if (field) message += ` (field: ${field})`;
    if (init.method && init.url) message += ` [${init.method} ${init.url}]`;
    super(message);
    this.name = "ConveyorError";
    this.status = status;
    this.type = typeof problem.type === "string" ? problem.type : "about:blank";
    this.title = title;
    this.detail = detail;
    this.field = field;
    this.reason = typeof problem.reason === "string" ? problem.reason : undefined;
    this.problem = problem;
    this.retryAfter = init.retryAfter;
    this.method = init.method ?? "";
    this.url = init.url ?? "";
  }
}

/** The request got no answer: the connection failed, dropped or timed out. It may or may not
 * have reached the server (an enqueue with an idempotency key is safe to send again). */
export class NetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NetworkError";
  }
}

/** A call names the customer in its route and the client cannot tell which (an admin key). */
export class CustomerRequiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CustomerRequiredError";
  }
}

/** Retry-After in seconds (the server sends whole seconds); undefined when absent or a date. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (value == null || value.trim() === "") return undefined;
  const seconds = Number(value.trim());
  return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
}
