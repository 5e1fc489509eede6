#!/usr/bin/env python3
"""The MCP client the conformance suite runs: `client.py SERVER_URL`, with the mcp-accounts binary in
MCP_ACCOUNTS_BIN.

It is made of mcp-accounts' own commands: `add` the server (with the pre-registered client of
MCP_CONFORMANCE_CONTEXT, or the client ID metadata document URL the basic-cimd scenario expects), `login`
through the scripted browser (tests/support/scripted_browser.py follows the authorization server's
redirects to our loopback callback, as a user's browser would), then `token` for the MCP requests it makes
itself: initialize, notifications/initialized, tools/list, tools/call. Until the proxy exists, a 403 is
not stepped up: the client stops there with exit code 1.

Every mcp-accounts command and its output goes to stderr, so a failed scenario shows what happened.
"""
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

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


def mcp(url, token, message, session=None, version=None):
    """POST one JSON-RPC message; the answer (JSON or the first event of a stream) and the session id."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {token}",
    }
    if session:
        headers["Mcp-Session-Id"] = session
    if version:
        headers["MCP-Protocol-Version"] = version
    request = urllib.request.Request(url, data=json.dumps(message).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            body = response.read().decode()
            session = response.headers.get("Mcp-Session-Id") or session
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        print(f"{message['method']}: HTTP {e.code} {e.read().decode()[:200]}", file=sys.stderr)
        sys.exit(1)
    if "id" not in message:
        return None, session
    if kind.startswith("text/event-stream"):
        data = [line[5:].strip() for line in body.splitlines() if line.startswith("data:")]
        body = next((d for d in data if d), "null")
    answer = json.loads(body)
    print(f"{message['method']}: {json.dumps(answer)[:200]}", file=sys.stderr)
    if "error" in answer:
        sys.exit(1)
    return answer["result"], session


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
        token = run(binary, db, "token", "conformance", env=env).strip()

        init = {
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "mcp-accounts-conformance", "version": "1"},
            },
        }
        result, session = mcp(url, token, init)
        version = result.get("protocolVersion")
        mcp(url, token, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session, version)
        tools, _ = mcp(url, token, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, session, version)
        for tool in tools.get("tools", [])[:1]:
            call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                    "params": {"name": tool["name"], "arguments": {}}}
            mcp(url, token, call, session, version)


if __name__ == "__main__":
    main()
