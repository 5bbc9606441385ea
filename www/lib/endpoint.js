// The site's one network client, used only by the cryptography worker: every call to the
// ledger endpoint (/api/v1, SPEC.md §5). Public ledger data is read with plain requests;
// personal views, SMeR uploads and downloads and directory writes are signed with the
// unlocked identity's key — the WASM core builds the signed bytes and headers. Every
// failure becomes one SemresError: the endpoint's `{code, message}`, `NetworkError` when it
// cannot be reached, `BadAnswer` when it answers something that is not a SEMRES answer.
import { semresError } from './semres-error.js';

export const API = '/api/v1';

async function failure(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  if (body && typeof body.code === 'string' && typeof body.message === 'string') {
    return semresError(body.code, body.message, { status: response.status });
  }
  return semresError('BadAnswer', `the endpoint answered ${response.status} without a SEMRES error`, { status: response.status });
}

/**
 * One request to `path` (under /api/v1, with its query). `sign(method, target, body,
 * bodySha256Hex)` returns the signed-request headers for the target exactly as the browser
 * will send it (percent-encoded) and the body; `json` is sent as a JSON body, `body` as is
 * (`bodySha256Hex`: its SHA-256, when already known — a SMeR's hash); `headers` are added
 * (e.g. a resumable upload's `Upload-Offset`). Resolves to the Response (status 2xx).
 */
export async function request(path, { method = 'GET', sign = null, json, body, bodySha256Hex, contentType, headers: extra = {} } = {}) {
  // The URL the browser will request, serialized: what the endpoint sees, and verifies.
  const url = new URL(`${API}${path}`, self.location.origin);
  const target = `${url.pathname}${url.search}`;
  let payload = body;
  const headers = { ...extra };
  if (json !== undefined) {
    payload = new TextEncoder().encode(JSON.stringify(json));
    headers['Content-Type'] = 'application/json';
  } else if (contentType) {
    headers['Content-Type'] = contentType;
  }
  if (sign) Object.assign(headers, sign(method, target, bodySha256Hex ? undefined : payload, bodySha256Hex));
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload });
  } catch (error) {
    throw semresError('NetworkError', `the endpoint cannot be reached (${error?.message ?? error})`);
  }
  if (!response.ok) throw await failure(response);
  return response;
}

/** A request whose answer is JSON. */
export async function getJson(path, options) {
  const response = await request(path, options);
  try {
    return await response.json();
  } catch {
    throw semresError('BadAnswer', 'the endpoint\'s answer is not JSON');
  }
}

/** A request whose answer is text (the signed checkpoint). */
export async function getText(path, options) {
  return (await request(path, options)).text();
}

/** A request whose answer is bytes (a SMeR). */
export async function getBytes(path, options) {
  return new Uint8Array(await (await request(path, options)).arrayBuffer());
}

/** Path segment encoding for key ids and hashes. */
export const segment = (text) => encodeURIComponent(text);
