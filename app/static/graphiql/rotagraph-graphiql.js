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

  /* Click "Execute" once the query, headers and response editors exist (bounded wait). */
  function autorun(root) {
    var deadline = Date.now() + 15000;
    var timer = window.setInterval(function () {
      var button = root.querySelector(".graphiql-execute-button");
      var ready =
        button &&
        root.querySelector(".graphiql-query-editor .CodeMirror") &&
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
       headers, and as the connection_init payload when it opens a subscription socket. */
    var fetcher = function (graphQLParams, opts) {
      var cleaned = Object.assign({}, opts || {}, { headers: cleanHeaders(opts && opts.headers) });
      return baseFetcher(graphQLParams, cleaned);
    };

    var params = urlParameters();
    var props = {
      fetcher: fetcher,
      defaultHeaders: config.defaultHeaders,
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

    window.ReactDOM.createRoot(root).render(window.React.createElement(window.GraphiQL, props));

    if (params.autorun && params.query !== null) {
      if (isSingleQuery(params.query)) {
        autorun(root);
      } else {
        root.setAttribute("data-autorun", "refused");
      }
    }
  }

  start();
})();
