// graphql-js reads an introspection answer the way codegen tools do.
// Usage: node build_client_schema.mjs <schema.graphql> < introspection-result.json
// Prints JSON: {client: SDL of buildClientSchema(answer), file: SDL of the file}, both
// printed by graphql-js's printSchema of a lexicographically sorted schema.
import { readFileSync } from "node:fs";
import { buildClientSchema, buildSchema, lexicographicSortSchema, printSchema } from "graphql";

let text = "";
for await (const chunk of process.stdin) text += chunk;
const answer = JSON.parse(text);
if (answer.errors) throw new Error(JSON.stringify(answer.errors));
const client = printSchema(lexicographicSortSchema(buildClientSchema(answer.data)));
const file = printSchema(lexicographicSortSchema(buildSchema(readFileSync(process.argv[2], "utf8"))));
process.stdout.write(JSON.stringify({ client, file }));
