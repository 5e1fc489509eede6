#!/usr/bin/env python3
"""The MCP Python SDK's own OAuth client (mcp.client.auth.OAuthClientProvider) logging in to an MCP server:
the same first login `mcp-accounts login` does (probe, discovery, registration, browser, token), through the
same scripted browser ($BROWSER). Used by benches/network.rs, which times the whole process.

Prints one JSON line: {"requests": N, "login_requests": N - 1, "token": true, "status": 200}. `requests`
counts every request the client sent, including the final MCP request made with the new token.
"""
import asyncio
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

SERVER_URL = sys.argv[1]
BROWSER = os.environ["BROWSER"]


class MemoryStorage:
    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


answer = {}
answered = threading.Event()


class Callback(BaseHTTPRequestHandler):
    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        if "code" not in query and "error" not in query:
            self.send_response(404)
            self.end_headers()
            return
        answer.update({k: v[0] for k, v in query.items()})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"signed in")
        answered.set()

    def log_message(self, *args):
        pass


callback_server = HTTPServer(("127.0.0.1", 0), Callback)
threading.Thread(target=callback_server.serve_forever, daemon=True).start()
REDIRECT_URI = f"http://127.0.0.1:{callback_server.server_port}/callback"


async def redirect_handler(url):
    subprocess.Popen([BROWSER, url])


async def callback_handler():
    if not await asyncio.to_thread(answered.wait, 60):
        raise RuntimeError("no callback")
    return AuthorizationCodeResult(code=answer["code"], state=answer.get("state"), iss=answer.get("iss"))


sent = 0


async def count(request):
    global sent
    sent += 1


async def main():
    storage = MemoryStorage()
    metadata = OAuthClientMetadata(
        client_name="python-sdk-bench",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    provider = OAuthClientProvider(SERVER_URL, metadata, storage, redirect_handler, callback_handler)
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
    }
    async with httpx2.AsyncClient(auth=provider, event_hooks={"request": [count]}) as client:
        response = await client.post(
            SERVER_URL, json=initialize, headers={"accept": "application/json, text/event-stream"}
        )
    print(json.dumps({"requests": sent, "login_requests": sent - 1, "token": storage.tokens is not None,
                      "status": response.status_code}))


asyncio.run(main())
