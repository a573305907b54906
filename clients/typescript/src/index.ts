export { Client, Schedules, Webhooks, MAX_SERVER_WAIT, USER_AGENT } from "./client.js";
export { ConveyorError, NetworkError, CustomerRequiredError, parseRetryAfter, type Problem } from "./errors.js";
export { EventStream, SSEParser, type ServerSentEvent } from "./events.js";
export { verifyWebhook, DEFAULT_TOLERANCE, type HeadersLike, type VerifyOptions } from "./webhooks.js";
export * from "./types.js";
