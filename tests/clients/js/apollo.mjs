// @apollo/client (HttpLink for queries and mutations, GraphQLWsLink over graphql-ws for
// subscriptions) and a bare graphql-ws client, against a running Rotagraph.
// Usage: node apollo.mjs <http url> <ws url> <token> <schedule id> <tier id> <contact id>
// Prints JSON: {query, subscribed, mutation, apolloEvent, graphqlWsEvent}.
import { ApolloClient, InMemoryCache, HttpLink, split, gql } from "@apollo/client/core/index.js";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions/index.js";
import { getMainDefinition } from "@apollo/client/utilities/index.js";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [httpUrl, wsUrl, token, scheduleId, tierId, contactId] = process.argv.slice(2);
const bearer = `Bearer ${token}`;

// Apollo users often copy their HTTP headers into connectionParams: {headers: {...}}.
const apolloWs = createClient({
  url: wsUrl,
  webSocketImpl: WebSocket,
  connectionParams: { headers: { Authorization: bearer } },
});
const link = split(
  ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === "OperationDefinition" && definition.operation === "subscription";
  },
  new GraphQLWsLink(apolloWs),
  new HttpLink({ uri: httpUrl, headers: { Authorization: bearer } }),
);
const client = new ApolloClient({ link, cache: new InMemoryCache() });
// graphql-ws's own examples put the header straight into connectionParams.
const bare = createClient({
  url: wsUrl,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: bearer },
});

const ON_CALL = gql`
  subscription OnCall($s: ID!) {
    onCallChanged(scheduleId: $s) { id onCallNow { assignees { name } } }
  }
`;

function firstEvent(subscribe) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no event within 15 s")), 15000);
    subscribe({
      next: (value) => { clearTimeout(timer); resolve(value); },
      error: (error) => { clearTimeout(timer); reject(error); },
    });
  });
}

const out = {};
const query = await client.query({
  query: gql`query Schedule($s: ID!) { schedule(id: $s) { name tiers { number } } }`,
  variables: { s: scheduleId },
});
out.query = query.data;

const apolloEvent = firstEvent((observer) =>
  client.subscribe({ query: ON_CALL, variables: { s: scheduleId } }).subscribe(observer));
const bareEvent = firstEvent((observer) =>
  bare.subscribe({ query: ON_CALL.loc.source.body, variables: { s: scheduleId } }, {
    next: observer.next, error: observer.error, complete: () => {},
  }));
await new Promise((resolve) => setTimeout(resolve, 700)); // let both subscriptions register
out.subscribed = true;

const now = new Date();
const mutation = await client.mutate({
  mutation: gql`mutation Cover($i: CreateOnDemandShiftInput!) {
    createOnDemandShift(input: $i) { id contacts { name } }
  }`,
  variables: {
    i: {
      tierId,
      start: new Date(now.getTime() - 60_000).toISOString(),
      end: new Date(now.getTime() + 3_600_000).toISOString(),
      contactIds: [contactId],
    },
  },
});
out.mutation = mutation.data;
out.apolloEvent = (await apolloEvent).data;
out.graphqlWsEvent = (await bareEvent).data;
process.stdout.write(JSON.stringify(out));
await apolloWs.dispose();
await bare.dispose();
client.stop();
