/** The job event stream (Server-Sent Events over a fetch stream) as an async iterator that resumes
 * after a dropped connection: it reconnects with `Last-Event-ID`, and the server first sends what was missed. */

import type { Client } from "./client.js";
import { backoff } from "./client.js";
import { ConveyorError, NetworkError, parseRetryAfter, type Problem } from "./errors.js";
import type { EventsOptions, JobEvent } from "./types.js";

/** The server sends a comment every 15 s; a connection silent for this long is taken as dropped. */
export const READ_TIMEOUT_MS = 45_000;

export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** The text/event-stream grammar, a line at a time (WHATWG HTML, "Parsing an event stream"). */
export class SSEParser {
  #data: string[] = [];
  #event = "";
  #id: string | undefined;
  retryMs: number | undefined;

  /** The event a line completes (a blank line dispatches), else undefined. */
  feed(line: string): ServerSentEvent | undefined {
    if (line === "") {
      if (!this.#data.length && !this.#event) {
        this.#id = undefined;
        return undefined;
      }
      const event = { event: this.#event || "message", data: this.#data.join("\n"), id: this.#id };
      this.#data = [];
      this.#event = "";
      this.#id = undefined;
      return event;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "data") this.#data.push(value);
    else if (name === "event") this.#event = value;
    else if (name === "id" && !value.includes("\0")) this.#id = value;
    else if (name === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }
}

function toEvent(sse: ServerSentEvent): JobEvent | undefined {
  let data: unknown;
  try {
    data = sse.data ? JSON.parse(sse.data) : {};
  } catch {
    data = { data: sse.data };
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) data = { data };
  const members = data as Record<string, unknown>;
  if (sse.event !== "reset" && Object.keys(members).length === 0) return undefined;
  return { ...members, id: sse.id ?? String(members.id ?? ""), event: sse.event } as JobEvent;
}

class Ended extends Error {}

export class EventStream implements AsyncIterable<JobEvent> {
  /** The id of the last event received: where a reconnect (or a new stream) resumes from. */
  lastEventId: string | undefined;
  #client: Client;
  #path: Promise<string>;
  #query: Array<[string, string | number | boolean | undefined]>;
  #options: EventsOptions;
  #closed = false;
  #connection: AbortController | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #opening: Promise<void> | undefined;
  #failures = 0;
  #wake: (() => void) | undefined;
  #iterating = false;

  /** @internal Use `client.events()`. */
  constructor(
    client: Client,
    path: Promise<string>,
    query: Array<[string, string | number | boolean | undefined]>,
    options: EventsOptions,
  ) {
    this.#client = client;
    this.#path = path;
    this.#path.catch(() => undefined); // surfaced by open()/iteration
    this.#query = query;
    this.#options = options;
    this.lastEventId = options.lastEventId;
    options.signal?.addEventListener("abort", () => this.close(), { once: true });
    if (options.signal?.aborted) this.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Connect now (the subscription is live once this resolves); iterating connects by itself otherwise. */
  open(): Promise<void> {
    if (this.#reader) return Promise.resolve();
    this.#opening ??= this.#connect().finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  /** Stop: the iteration ends and the connection is closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection?.abort();
    this.#reader?.cancel().catch(() => undefined);
    this.#reader = undefined;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<JobEvent, void, undefined> {
    if (this.#iterating) throw new Error("an EventStream can be iterated once at a time");
    this.#iterating = true;
    let decoder = new TextDecoder();
    let parser = new SSEParser();
    let buffer = "";
    try {
      while (!this.#closed) {
        if (!this.#reader) {
          await this.open();
          if (this.#closed || !this.#reader) return;
        }
        const reader: ReadableStreamDefaultReader<Uint8Array> = this.#reader;
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await readWithin(reader, READ_TIMEOUT_MS);
        } catch (error) {
          if (this.#closed) return;
          chunk = { done: true, value: undefined };
          if (!(error instanceof Ended)) {
            this.#drop();
            await this.#afterDrop(error);
            decoder = new TextDecoder();
            parser = new SSEParser();
            buffer = "";
            continue;
          }
        }
        if (chunk.done) {
          if (this.#closed) return;
          this.#drop();
          await this.#afterDrop(undefined);
          decoder = new TextDecoder();
          parser = new SSEParser();
          buffer = "";
          continue;
        }
        this.#failures = 0; // the connection works
        buffer += decoder.decode(chunk.value, { stream: true });
        for (;;) {
          const match = /\r\n|\r|\n/.exec(buffer);
          // A lone \r at the end may be the first half of \r\n: wait for more.
          if (!match || (match[0] === "\r" && match.index === buffer.length - 1)) break;
          const line = buffer.slice(0, match.index);
          buffer = buffer.slice(match.index + match[0].length);
          const sse = parser.feed(line);
          if (!sse) continue;
          if (sse.id !== undefined) this.lastEventId = sse.id;
          const event = toEvent(sse);
          if (event) yield event;
          if (this.#closed) return;
        }
      }
    } catch (error) {
      if (error instanceof Ended) return;
      throw error;
    } finally {
      this.#iterating = false;
      this.close();
    }
  }

  #drop(): void {
    this.#connection?.abort();
    this.#reader?.cancel().catch(() => undefined);
    this.#reader = undefined;
  }

  async #connect(): Promise<void> {
    const path = await this.#path;
    for (;;) {
      if (this.#closed) return;
      const params = this.#query.filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]);
      const url = this.#client.url + path + (params.length ? "?" + new URLSearchParams(params).toString() : "");
      const extra: Record<string, string> = { Accept: "text/event-stream", "Cache-Control": "no-cache" };
      if (this.lastEventId) extra["Last-Event-ID"] = this.lastEventId;
      const connection = new AbortController();
      this.#connection = connection;
      const timer = setTimeout(() => connection.abort(), this.#client.timeoutMs);
      let response: Response;
      try {
        response = await this.#client.fetch(url, { headers: this.#client.headers(extra), signal: connection.signal });
      } catch (error) {
        if (this.#closed) return;
        await this.#afterDrop(error);
        continue;
      } finally {
        clearTimeout(timer);
      }
      if (response.ok && response.body) {
        this.#reader = response.body.getReader();
        return;
      }
      const text = await response.text().catch(() => "");
      const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
      const again =
        this.#failures < this.#client.maxRetries &&
        ((response.status === 429 && retryAfter !== undefined && retryAfter <= this.#client.maxRetryAfterSeconds) || [502, 503, 504].includes(response.status));
      if (!again) {
        let problem: Problem;
        try {
          problem = JSON.parse(text) as Problem;
        } catch {
          problem = { title: response.statusText, detail: text.slice(0, 500) };
        }
        throw new ConveyorError(response.status, problem, { method: "GET", url, retryAfter });
      }
      this.#failures += 1;
      await this.#pause(Math.max(backoff(this.#failures - 1), (retryAfter ?? 0) * 1000));
    }
  }

  /** Wait before reconnecting after the connection ended; throws when it may not. */
  async #afterDrop(error: unknown): Promise<void> {
    const { reconnect = true, maxReconnects } = this.#options;
    if (!reconnect || (maxReconnects !== undefined && this.#failures >= maxReconnects)) {
      if (error === undefined) throw new Ended();
      throw new NetworkError(`event stream dropped: ${String((error as Error)?.cause ?? error)}`, { cause: error });
    }
    this.#failures += 1;
    await this.#pause(backoff(this.#failures - 1));
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no data for ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([reader.read(), silent]);
  } finally {
    clearTimeout(timer);
  }
}
