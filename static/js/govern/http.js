// The one way page scripts talk to the server: the session cookie, the CSRF token, JSON or
// multipart bodies, and errors as sentences in the page's language. The browser's own network
// error ("Failed to fetch", "NetworkError when attempting to fetch resource") is never shown:
// it becomes the translated sentence base.html puts in <template id="govern-text">.

function pageText(key) {
  const template = document.getElementById("govern-text");
  const node = template && template.content.querySelector(`[data-key="${key}"]`);
  return node ? node.textContent : "";
}

export function text(key) {
  return pageText(key);
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

// An answer that was not 2xx (status > 0) or no answer at all (status 0: offline, DNS, reset).
export class HttpError extends Error {
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body || {};
  }
}

function statusSentence(status) {
  if (status === 0) return pageText("offline");
  if (status === 401) return pageText("login");
  if (status === 403) return pageText("forbidden");
  if (status === 404) return pageText("not_found");
  if (status === 429) return pageText("throttled");
  if (status >= 500) return pageText("server");
  return pageText("failed");
}

// fetch() with the session and, for anything but GET/HEAD, the CSRF header. A network failure
// rejects with HttpError(0) carrying the translated "could not reach the server" sentence.
export async function send(path, { method = "GET", body, headers = {}, accept = "application/json" } = {}) {
  const options = { method, credentials: "same-origin", headers: { Accept: accept, ...headers } };
  if (method !== "GET" && method !== "HEAD") options.headers["X-CSRFToken"] = csrfToken();
  if (body instanceof FormData || typeof body === "string" || body instanceof Blob) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  try {
    return await fetch(path, options);
  } catch (_err) {
    throw new HttpError(0, null, statusSentence(0));
  }
}

// A JSON API call: resolves to the parsed body of a 2xx answer, rejects with HttpError whose
// message is the server's sentence (`detail`, already in the page's language) or, when the answer
// carries none (a proxy's HTML error page, an empty body), a translated sentence for its status.
export async function api(path, options = {}) {
  const response = await send(path, options);
  let data = null;
  try { data = await response.json(); } catch (_err) { data = null; }
  if (!response.ok) {
    const detail = data && typeof data.detail === "string" && data.detail ? data.detail : statusSentence(response.status);
    throw new HttpError(response.status, data, detail);
  }
  return data;
}

// A server-rendered fragment (live refreshes): its text, or null when it could not be had — the
// caller keeps what is shown and the next event retries.
export async function fetchHtml(path) {
  try {
    const response = await send(path, { accept: "text/html" });
    return response.ok ? await response.text() : null;
  } catch (_err) {
    return null;
  }
}

// An error whose message is already a sentence in the page's language (a page's own check).
export class ShownError extends Error {}

// The sentence to show for any error a page script catches: never a browser's or a bug's English.
export function errorMessage(error) {
  if (error instanceof HttpError) return error.message || statusSentence(error.status);
  if (error instanceof ShownError && error.message) return error.message;
  return pageText("failed");
}
