/** Checking a webhook delivery's signature (Standard Webhooks 1.0) with Web Crypto (`crypto.subtle`):
 * Node 18+, Deno, Bun, edge runtimes and browsers. */

/** How far (seconds) a delivery's `webhook-timestamp` may be from now: older or newer is a replay. */
export const DEFAULT_TOLERANCE = 300;

/** A Fetch `Headers`, a plain object (Node's `req.headers`, names in any case), or [name, value] pairs. */
export type HeadersLike =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>
  | Iterable<[string, string]>;

function lower(headers: HeadersLike): (name: string) => string | undefined {
  if (typeof Headers !== "undefined" && headers instanceof Headers) return (name) => headers.get(name) ?? undefined;
  const map = new Map<string, string>();
  const pairs: Iterable<[string, unknown]> =
    Symbol.iterator in Object(headers) ? (headers as Iterable<[string, string]>) : Object.entries(headers);
  for (const [k, v] of pairs) {
    if (v !== undefined) map.set(k.toLowerCase(), Array.isArray(v) ? v.join(", ") : String(v));
  }
  return (name) => map.get(name);
}

function base64ToBytes(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export interface VerifyOptions {
  /** Seconds the timestamp may be from now. Default 300. */
  tolerance?: number;
  /** Now, in seconds since the epoch (for tests). */
  now?: number;
}

/**
 * Whether a delivery is Conveyor's, unaltered and fresh.
 *
 * `body`: the raw bytes as received, before any JSON parsing (a string is taken as UTF-8);
 * `secret`: the endpoint's "whsec_…" (or several: during a rotation the old and the new).
 * True only when a `v1,` signature of "{webhook-id}.{webhook-timestamp}.{body}" matches and the timestamp
 * is within `tolerance` seconds of now. De-duplicate deliveries on `webhook-id` (the same on every retry).
 */
export async function verifyWebhook(
  headers: HeadersLike,
  body: string | Uint8Array | ArrayBuffer,
  secret: string | readonly string[],
  options: VerifyOptions = {},
): Promise<boolean> {
  const get = lower(headers);
  const id = get("webhook-id");
  const timestamp = get("webhook-timestamp");
  const signatures = get("webhook-signature");
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return false;
  const now = options.now ?? Date.now() / 1000;
  if (Math.abs(now - Number(timestamp)) > (options.tolerance ?? DEFAULT_TOLERANCE)) return false;
  const raw = typeof body === "string" ? new TextEncoder().encode(body) : body instanceof ArrayBuffer ? new Uint8Array(body) : body;
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + raw.length);
  signed.set(prefix);
  signed.set(raw, prefix.length);
  const given = signatures
    .split(" ")
    .filter((entry) => entry.startsWith("v1,"))
    .map((entry) => base64ToBytes(entry.slice(3)))
    .filter((bytes): bytes is Uint8Array => bytes !== undefined);
  if (!given.length) return false;
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error("verifyWebhook needs Web Crypto (globalThis.crypto.subtle): Node 18+ or an edge runtime");
  for (const one of typeof secret === "string" ? [secret] : secret) {
    const keyBytes = base64ToBytes(one.startsWith("whsec_") ? one.slice(6) : one);
    if (!keyBytes || !keyBytes.length) continue;
    const key = await subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const expected = new Uint8Array(await subtle.sign("HMAC", key, signed));
    if (given.some((candidate) => equal(candidate, expected))) return true;
  }
  return false;
}
