/*
 * Rotagraph's GraphiQL start-up script (our own code; not part of GraphiQL).
 *
 * Loaded by the page that app/api/graphiql.py renders, after React, ReactDOM and
 * GraphiQL's UMD bundle (all served from this folder: the page uses no CDN).
 * It reads its settings from <script id="rotagraph-graphiql-config" type="application/json">
 * so the page needs no inline script (a `script-src 'self'` CSP works).
 *
 * Token handling
 *   The headers editor starts with {"Authorization": "Bearer <paste token>"} and is shown
 *   open. Whatever JSON the user types there is sent:
 *     - over HTTP: as request headers on every POST to the endpoint (queries, mutations and
 *       the schema introspection);
 *     - over WebSocket (subscriptions, graphql-transport-ws via the graphql-ws client
 *       bundled in GraphiQL): as the `connection_init` payload, e.g.
 *       {"type": "connection_init", "payload": {"Authorization": "Bearer abc"}}.
 *   While the Authorization value still holds the "<paste token>" placeholder (or is just
 *   "Bearer") it is left out, so an untouched page does not send a bogus token.
 *   Headers are kept in localStorage (shouldPersistHeaders); the user can turn that off
 *   in GraphiQL's settings dialog ("Persist headers").
 *
 * Schema loading
 *   The schema (Docs, completion) is introspected only once the headers hold a token: an
 *   untouched page sends nothing and shows no error. Typing or pasting a token fetches the
 *   schema at once (no reload), and so does changing it. Headers are per tab in GraphiQL;
 *   a token typed in one tab is sent by the tabs whose headers carry none.
 *
 * Example operations
 *   A first visit opens one tab per example of the page's config (who is on call now, a
 *   tier's next week, an on-demand shift, a subscription); "<now>", "<in 2 hours>" and
 *   "<in 7 days>" in their variables become instants. Tabs a visitor has are kept.
 *
 * URL parameters
 *   ?query=<document>    pre-fills the query editor (also `variables`, `operationName`).
 *   &autorun=1           runs it once the editors are ready -- only when the document is a
 *                        single `query` operation; mutations and subscriptions are never run
 *                        from a link (someone could send a link that acts with your token).
 */
(function () {
  "use strict";

  var PLACEHOLDER = "<paste token>";

  function readConfig() {
    var node = document.getElementById("rotagraph-graphiql-config");
    return JSON.parse(node ? node.textContent : "{}");
  }

  function showError(root, message) {
    root.textContent = "";
    var p = document.createElement("p");
    p.className = "rotagraph-graphiql-error";
    p.textContent = message;
    root.appendChild(p);
  }

  function websocketUrl(endpoint) {
    var url = new URL(endpoint, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.hash = "";
    return url.toString();
  }

  /* Drop an Authorization header that still holds the placeholder (or no credential). */
  function cleanHeaders(headers) {
    var out = {};
    if (!headers || typeof headers !== "object") {
      return out;
    }
    Object.keys(headers).forEach(function (name) {
      var value = headers[name];
      if (name.toLowerCase() === "authorization") {
        var text = String(value === null || value === undefined ? "" : value).trim();
        if (text === "" || text.indexOf(PLACEHOLDER) !== -1 || /^bearer$/i.test(text)) {
          return;
        }
      }
      out[name] = value;
    });
    return out;
  }

  /* The bearer credential the headers' JSON carries, or "" (none, or the placeholder). */
  function tokenOf(headersText) {
    var parsed;
    try {
      parsed = JSON.parse(headersText || "{}");
    } catch (e) {
      return "";
    }
    var cleaned = cleanHeaders(parsed);
    var name = Object.keys(cleaned).find(function (key) {
      return key.toLowerCase() === "authorization";
    });
    return name ? String(cleaned[name]).trim() : "";
  }

  function storedHeaders(fallback) {
    try {
      var stored = window.localStorage.getItem("graphiql:headers");
      return stored === null ? fallback : stored;
    } catch (e) {
      return fallback;
    }
  }

  /* The examples' tabs, with "<now>"-style placeholders in their variables made instants. */
  function exampleTabs(examples, headers) {
    var now = Date.now();
    var instants = {
      "<now>": new Date(now),
      "<in 2 hours>": new Date(now + 2 * 3600 * 1000),
      "<in 7 days>": new Date(now + 7 * 24 * 3600 * 1000),
    };
    return (examples || []).map(function (example) {
      var variables = example.variables || "";
      Object.keys(instants).forEach(function (placeholder) {
        var iso = instants[placeholder].toISOString().replace(/\.\d{3}Z$/, "Z");
        variables = variables.split(placeholder).join(iso);
      });
      return { query: example.query, variables: variables, headers: headers };
    });
  }

  function urlParameters() {
    var params = new URLSearchParams(window.location.search);
    return {
      query: params.get("query"),
      variables: params.get("variables"),
      operationName: params.get("operationName"),
      autorun: params.get("autorun") === "1" || params.get("autorun") === "true",
    };
  }

  /* True when `source` is exactly one operation and it is a query (safe to run from a link). */
  function isSingleQuery(source) {
    var doc;
    try {
      doc = window.GraphiQL.GraphQL.parse(source);
    } catch (e) {
      return false;
    }
    var operations = doc.definitions.filter(function (d) {
      return d.kind === "OperationDefinition";
    });
    return operations.length === 1 && operations[0].operation === "query";
  }

  /* Click "Execute" once the editors exist and GraphiQL has parsed `query` in the query
     editor (it parses debounced; a click before that runs nothing), bounded wait. */
  function autorun(root, query) {
    var deadline = Date.now() + 15000;
    var timer = window.setInterval(function () {
      var button = root.querySelector(".graphiql-execute-button");
      var editor = root.querySelector(".graphiql-query-editor .CodeMirror");
      var cm = editor && editor.CodeMirror;
      var ready =
        button &&
        cm &&
        cm.getValue() === query &&
        cm.documentAST &&
        root.querySelector(".graphiql-response .CodeMirror");
      if (ready) {
        window.clearInterval(timer);
        root.setAttribute("data-autorun", "started");
        button.click();
      } else if (Date.now() > deadline) {
        window.clearInterval(timer);
        root.setAttribute("data-autorun", "timed-out");
      }
    }, 50);
  }

  function start() {
    var root = document.getElementById("graphiql");
    if (!window.React || !window.ReactDOM || !window.GraphiQL) {
      showError(root, "GraphiQL could not load its scripts from the server.");
      return;
    }
    var config = readConfig();
    var endpoint = config.endpoint || "/graphql";
    var baseFetcher = window.GraphiQL.createFetcher({
      url: endpoint,
      subscriptionUrl: websocketUrl(endpoint),
    });
    /* The headers editor's JSON arrives in opts.headers: GraphiQL's fetcher sends it as HTTP
       headers, and as the connection_init payload when it opens a subscription socket. A new
       fetcher per token makes GraphiQL introspect again when the token changes. */
    function fetcherFor(token) {
      var fetcher = function (graphQLParams, opts) {
        var headers = cleanHeaders(opts && opts.headers);
        var named = Object.keys(headers).some(function (key) {
          return key.toLowerCase() === "authorization";
        });
        if (!named && token) {
          /* Headers are per tab: a token typed in one tab serves the others too. */
          headers.Authorization = token;
        }
        return baseFetcher(graphQLParams, Object.assign({}, opts || {}, { headers: headers }));
      };
      fetcher.token = token;
      return fetcher;
    }

    var params = urlParameters();
    var token = tokenOf(storedHeaders(config.defaultHeaders));
    var props = {
      defaultHeaders: config.defaultHeaders,
      defaultTabs: exampleTabs(config.examples, config.defaultHeaders),
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: "headers",
      inputValueDeprecation: true,
    };
    if (params.query !== null) {
      props.query = params.query;
    }
    if (params.variables !== null) {
      props.variables = params.variables;
    }
    if (params.operationName !== null) {
      props.operationName = params.operationName;
    }

    var reactRoot = window.ReactDOM.createRoot(root);
    function render() {
      root.setAttribute("data-schema", token ? "loading" : "waiting-for-token");
      props.fetcher = fetcherFor(token);
      /* null: no introspection (and no error) until there is a token to send with it. */
      props.schema = token ? undefined : null;
      reactRoot.render(window.React.createElement(window.GraphiQL, props));
    }
    props.onSchemaChange = function (schema) {
      if (schema) {
        root.setAttribute("data-schema", "loaded");
      }
    };
    var pending = null;
    props.onEditHeaders = function (text) {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        var typed = tokenOf(text);
        if (typed && typed !== token) {
          token = typed;
          render();
        }
      }, 300);
    };
    render();

    if (params.autorun && params.query !== null) {
      if (isSingleQuery(params.query)) {
        autorun(root, params.query);
      } else {
        root.setAttribute("data-autorun", "refused");
      }
    }
  }

  start();
})();
