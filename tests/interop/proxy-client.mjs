// The official MCP TypeScript SDK's Client, talking to a server through `mcp-accounts proxy NAME`
// (StdioClientTransport spawns the proxy, as Claude Desktop or Cursor would).
//
//   node proxy-client.mjs BIN DB NAME TOOL ARGUMENTS_JSON [pause]
//
// Connects, lists the tools and calls TOOL; with `pause`, prints {"ready":true}, waits for a line on
// stdin, and calls TOOL again. Prints one JSON report on stdout: the server's name and version, the tool
// names, each call's result, and any error with the milliseconds it took to arrive.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import readline from "node:readline";

const [bin, db, name, tool, argumentsJson, pause] = process.argv.slice(2);
const args = JSON.parse(argumentsJson);
const transport = new StdioClientTransport({
  command: bin,
  args: ["--db", db, "proxy", name],
  env: { ...process.env },
  stderr: "inherit",
});
const client = new Client({ name: "mcp-accounts-proxy-interop", version: "1.0.0" });
const report = {};
const started = Date.now();
try {
  await client.connect(transport);
  report.server = client.getServerVersion();
  report.tools = (await client.listTools()).tools.map((t) => t.name);
  report.first = await client.callTool({ name: tool, arguments: args });
  if (pause === "pause") {
    console.log(JSON.stringify({ ready: true }));
    const lines = readline.createInterface({ input: process.stdin });
    await new Promise((resolve) => lines.once("line", resolve));
    lines.close();
    report.second = await client.callTool({ name: tool, arguments: args });
  }
} catch (e) {
  report.error = String(e?.message ?? e);
  report.error_after_ms = Date.now() - started;
}
console.log(JSON.stringify(report));
await client.close();
process.exit(0);
