// The public API only: GraphQL over POST /graphql and graphql-transport-ws at /graphql.
import { token } from "./auth.js";

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Run one GraphQL operation with the tab's token (or `as`); the first error is thrown. */
export async function gql(query, variables = {}, as = null) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${as || token()}`,
      },
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError("The server cannot be reached.", "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered HTTP ${response.status}.`, "HTTP");
  }
  if (body.errors && body.errors.length) {
    const [first] = body.errors;
    throw new ApiError(first.message, first.extensions && first.extensions.code);
  }
  return body.data;
}

/**
 * Exchange a personal link's one-time code for a personal token (`POST /sign-in`, no token
 * sent). A used, expired or unknown code rejects with code UNAUTHENTICATED.
 */
export async function exchangeSignInCode(code) {
  let response;
  try {
    response = await fetch("/sign-in", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ code }),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError("The server cannot be reached.", "NETWORK");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || typeof body.token !== "string") {
    const [first] = body.errors || [{}];
    throw new ApiError(first.message || `The server answered HTTP ${response.status}.`,
                       (first.extensions && first.extensions.code) || "HTTP");
  }
  return body.token;
}

/**
 * Subscribe over graphql-transport-ws; the token goes in the connection_init payload.
 * Reconnects with backoff; `onEvent(data)` gets every `next` payload's data, `onResync()` is
 * called after a reconnect (events may have been missed: refetch), `onAuthFailed()` when the
 * server refuses the token. Returns a function that closes it.
 */
export function subscribe(query, variables, { onEvent, onResync, onAuthFailed, onState }) {
  let socket = null;
  let closed = false;
  let attempt = 0;
  let timer = null;
  const id = "1";

  const state = (value) => onState && onState(value);

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/graphql`, "graphql-transport-ws");
    state("connecting");
    socket.onopen = () => {
      socket.send(JSON.stringify({
        type: "connection_init", payload: { Authorization: `Bearer ${token()}` },
      }));
    };
    socket.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data.type === "connection_ack") {
        socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
        state("live");
        if (attempt > 0 && onResync) onResync();
        attempt = 0;
      } else if (data.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (data.type === "next" && data.id === id) {
        if (data.payload && data.payload.data) onEvent(data.payload.data);
      } else if (data.type === "error" && data.id === id) {
        state("error");
      }
    };
    socket.onclose = (event) => {
      socket = null;
      if (closed) return;
      if (event.code === 4401 || event.code === 4403) {
        state("refused");
        if (onAuthFailed) onAuthFailed();
        return;
      }
      state("reconnecting");
      attempt += 1;
      timer = setTimeout(connect, Math.min(30000, 500 * 2 ** Math.min(attempt, 6)));
    };
  }

  connect();
  return () => {
    closed = true;
    clearTimeout(timer);
    if (socket) socket.close(1000);
  };
}
