#!/usr/bin/env python3
"""The MCP client the conformance suite runs: `client.py SERVER_URL`, with the mcp-accounts binary in
MCP_ACCOUNTS_BIN.

It is made of mcp-accounts' own commands: `add` the server (with the pre-registered client of
MCP_CONFORMANCE_CONTEXT, or the client ID metadata document URL the basic-cimd scenario expects), `login`
through the scripted browser (tests/support/scripted_browser.py follows the authorization server's
redirects to our loopback callback, as a user's browser would), then `proxy` for the MCP requests: initialize,
notifications/initialized, tools/list, tools/call over the proxy's stdin and stdout. A 403 with
`insufficient_scope` is the proxy's to handle (a step-up login through the same scripted browser).

Every mcp-accounts command and its output goes to stderr, so a failed scenario shows what happened.
"""
import json
import os
import subprocess
import sys
import tempfile

SCENARIO = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
CONTEXT = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
CIMD_URL = "https://conformance-test.local/client-metadata.json"
HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER = os.path.join(HERE, "..", "support", "scripted_browser.py")


def run(binary, db, *args, env=None):
    command = [binary, "--db", db, *args]
    print("$ mcp-accounts " + " ".join(args), file=sys.stderr)
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})})
    sys.stderr.write(done.stdout + done.stderr)
    if done.returncode != 0:
        print(f"mcp-accounts {args[0]} exited with {done.returncode}", file=sys.stderr)
        sys.exit(1)
    return done.stdout


class Proxy:
    """`mcp-accounts proxy conformance`, spoken to over its stdin and stdout as an MCP client would."""

    def __init__(self, binary, db, env):
        print("$ mcp-accounts proxy conformance", file=sys.stderr)
        self.process = subprocess.Popen(
            [binary, "--db", db, "proxy", "conformance", "--login-timeout", "20"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, **env})

    def send(self, message):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def request(self, message):
        """Send a request; the result of its answer (what the server sent before it is logged)."""
        self.send(message)
        while True:
            line = self.process.stdout.readline()
            if not line:
                print(f"{message['method']}: the proxy closed its output", file=sys.stderr)
                sys.exit(1)
            answer = json.loads(line)
            if "method" not in answer and answer.get("id") == message["id"]:
                break
            print(f"(from the server: {line.strip()[:200]})", file=sys.stderr)
        print(f"{message['method']}: {json.dumps(answer)[:200]}", file=sys.stderr)
        if "error" in answer:
            sys.exit(1)
        return answer["result"]

    def close(self):
        self.process.stdin.close()
        code = self.process.wait(timeout=20)
        if code != 0:
            print(f"the proxy exited with {code}", file=sys.stderr)
            sys.exit(1)


def main():
    binary, url = os.environ["MCP_ACCOUNTS_BIN"], sys.argv[-1]
    with tempfile.TemporaryDirectory() as home:
        db = os.path.join(home, "accounts.db")
        add = ["add", "conformance", url]
        env = {}
        if "client_id" in CONTEXT:
            add += ["--client-id", CONTEXT["client_id"]]
            if CONTEXT.get("client_secret"):
                add += ["--client-secret-env", "CONFORMANCE_CLIENT_SECRET"]
                env["CONFORMANCE_CLIENT_SECRET"] = CONTEXT["client_secret"]
        if SCENARIO == "auth/basic-cimd":
            add += ["--client-metadata-url", CIMD_URL]
        run(binary, db, *add)
        run(binary, db, "login", "conformance", "--timeout", "20",
            env={**env, "BROWSER": BROWSER, "SCRIPTED_BROWSER_MODE": "normal"})
        # Every MCP request goes through the proxy; a 403 asking for more scopes makes it log in again
        # (through the same scripted browser) with the union of the scopes, then retry.
        proxy = Proxy(binary, db, {**env, "BROWSER": BROWSER, "SCRIPTED_BROWSER_MODE": "normal"})
        init = {
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "mcp-accounts-conformance", "version": "1"},
            },
        }
        proxy.request(init)
        proxy.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        tools = proxy.request({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        for tool in tools.get("tools", [])[:1]:
            proxy.request({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                           "params": {"name": tool["name"], "arguments": {}}})
        proxy.close()


if __name__ == "__main__":
    main()
