#!/usr/bin/env python3
"""A browser for tests, started as $BROWSER with the authorization URL as its only argument.

It GETs the URL, follows redirects by hand (to loopback hosts only), and so ends with a GET of the client's
loopback callback. SCRIPTED_BROWSER_MODE bends the last step:
  normal       deliver the callback as received
  wrong-state  replace the state parameter
  no-state     drop the state parameter
  twice        deliver the callback, then the same one again (a replay)
  ignore       never call the callback (a user who walks away)
  extra        first GET /favicon.ico and a callback without code or error, then the real one
  paste        write the callback URL to the file SCRIPTED_BROWSER_PASTE instead of calling it (a browser
               on another machine: the user copies the URL it ended on)
SCRIPTED_BROWSER_USER, when set, is who is signed in to the server in this browser (an X-Test-User header,
as a session cookie would be).
SCRIPTED_BROWSER_LOG, when set, names a file that gets one line per request (status and path, no query)
and a last line "done" when the browser exits, however it exits (the program that started it may have
finished first, so tests wait for that line).
"""
import http.client
import ipaddress
import os
import sys
import urllib.parse

MODE = os.environ.get("SCRIPTED_BROWSER_MODE", "normal")
LOG = os.environ.get("SCRIPTED_BROWSER_LOG")


def is_loopback(host):
    """This machine: localhost, or an address in 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def log(line):
    if LOG:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def get(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not is_loopback(parts.hostname):
        log(f"refused {parts.scheme}://{parts.hostname}")
        sys.exit(3)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    target = parts.path + ("?" + parts.query if parts.query else "")
    headers = {"User-Agent": "scripted-browser"}
    if os.environ.get("SCRIPTED_BROWSER_USER"):
        headers["X-Test-User"] = os.environ["SCRIPTED_BROWSER_USER"]
    conn.request("GET", target, headers=headers)
    response = conn.getresponse()
    response.read()
    log(f"{response.status} {parts.path}")
    return response.status, response.getheader("Location")


def tamper(url):
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if MODE == "wrong-state":
        query = [(k, "forged-state" if k == "state" else v) for k, v in query]
    elif MODE == "no-state":
        query = [(k, v) for k, v in query if k != "state"]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def main():
    url = sys.argv[1]
    for _ in range(10):
        parts = urllib.parse.urlsplit(url)
        is_callback = parts.path == "/callback"
        if is_callback:
            if MODE == "paste":
                with open(os.environ["SCRIPTED_BROWSER_PASTE"], "w") as f:
                    f.write(url + "\n")
                log(f"left the callback on port {parts.port} for pasting")
                return
            if MODE == "ignore":
                log(f"ignored the callback on port {parts.port}")
                return
            if MODE == "extra":
                base = f"{parts.scheme}://{parts.netloc}"
                get(base + "/favicon.ico")
                get(base + "/callback?foo=bar")
            url = tamper(url)
        status, location = get(url)
        if is_callback and MODE == "twice":
            get(url)
        if status in (301, 302, 303, 307, 308) and location:
            url = urllib.parse.urljoin(url, location)
            continue
        return


if __name__ == "__main__":
    try:
        main()
    finally:
        log("done")
