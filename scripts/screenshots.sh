#!/usr/bin/env bash
# Regenerate screenshots/*.png from the real binary: fixture accounts logged in against the local demo
# server (examples/demo_server.rs), the TUI in tmux at 100x30, captured with colours, turned into HTML by
# ansi2html and into PNG by headless Chromium. Not part of CI.
#
# Needs: tmux, python3 (a venv with ansi2html is made in .venv), chromium (Debian package `chromium`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cols=100
rows=30

for tool in tmux python3 chromium; do
  command -v "$tool" >/dev/null || { echo "screenshots.sh needs $tool" >&2; exit 1; }
done
if [ ! -x .venv/bin/ansi2html ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q ansi2html
fi

cargo build --release --quiet --bin mcp-accounts --example demo_server
bin=$root/target/release/mcp-accounts
demo=$root/target/release/examples/demo_server

work=$(mktemp -d)
socket="mcp-shots-$$"
pids=()
cleanup() {
  tmux -L "$socket" kill-server 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

start_server() { # NAME ADDRESS TTL [--device]: a demo server of its own for one account, on its own loopback
  # address (all of 127.0.0.0/8 is this machine), so each row shows a host of its own
  "$demo" --listen "$2" --token-ttl "$3" "${@:4}" >"$work/server-$1.url" 2>/dev/null &
  pids+=($!)
}

url_of() { # NAME -> the MCP URL its server printed
  for _ in $(seq 100); do
    [ -s "$work/server-$1.url" ] && break
    sleep 0.05
  done
  head -1 "$work/server-$1.url"
}

start_server calendar 127.0.0.2 3600
start_server notes 127.0.0.3 3600
start_server search 127.0.0.4 2
start_server tickets 127.0.0.5 200
tickets_pid=${pids[-1]}
start_server wiki 127.0.0.6 3600 --device

export MCP_ACCOUNTS_DB=$work/accounts.db
export BROWSER=$root/tests/support/scripted_browser.py
export HOME=$work
"$bin" add calendar "$(url_of calendar)" --scope mcp:tools >/dev/null
for name in notes search tickets wiki; do
  "$bin" add "$name" "$(url_of "$name")" >/dev/null
done
for name in calendar notes search tickets; do
  SCRIPTED_BROWSER_MODE=normal "$bin" login "$name" >/dev/null 2>&1
done
"$bin" refresh notes >/dev/null
# Cursor uses notes through mcp-accounts: the details' Clients row shows it.
"$bin" connect cursor notes --command mcp-accounts >/dev/null
sleep 3 # let the 2-second token of "search" expire
# The server of "tickets" goes away: refreshing it is the error shot.
kill "$tickets_pid" 2>/dev/null || true

# The TUI, with a browser that never completes a login (for the "login in progress" shot).
tmux -L "$socket" -f /dev/null new-session -d -x "$cols" -y "$rows" \
  "env TERM=xterm-256color SCRIPTED_BROWSER_MODE=ignore MCP_ACCOUNTS_DB=$MCP_ACCOUNTS_DB BROWSER=$BROWSER $bin"

capture() { tmux -L "$socket" capture-pane -p -e -N -t 0; }
# The text alone, for waiting on words (with colours, an escape sequence sits between a label and its value).
text() { tmux -L "$socket" capture-pane -p -t 0; }

# Wait for TEXT, then for the screen to stay the same for 100 ms.
settle() {
  local text=$1 before after
  for _ in $(seq 200); do
    text | grep -qF -- "$text" && break
    sleep 0.05
  done
  before=$(capture)
  while :; do
    sleep 0.1
    after=$(capture)
    [ "$before" = "$after" ] && break
    before=$after
  done
}

# Wait until TEXT is off the screen (an Escape must be taken alone: a key right behind it would be read
# as Alt and that key).
gone() {
  for _ in $(seq 200); do
    text | grep -qF -- "$1" || return 0
    sleep 0.05
  done
}

keys() { tmux -L "$socket" send-keys -t 0 "$@"; }

# DejaVu Sans Mono advances 1233/2048 em: at 16px a column is 9.63 px; a row is 19 px.
width=$(python3 -c "print(int($cols * 16 * 1233 / 2048) + 32)")
height=$((rows * 19 + 32))

shot() { # NAME
  local html=$work/$1.html
  capture | .venv/bin/ansi2html -s dracula >"$html"
  cat >>"$html" <<'CSS'
<style>
  body, .body_foreground { background: #1e1f29 !important; margin: 0; }
  pre.ansi2html-content { display: block; font: 16px/19px 'DejaVu Sans Mono', monospace; padding: 16px;
                          margin: 0; white-space: pre; }
  .inv_foreground { color: #1e1f29 !important; }
  .inv_background { background-color: #f8f8f2 !important; }
</style>
CSS
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$work/chromium" \
    --force-device-scale-factor=2 --window-size="$width,$height" \
    --screenshot="$root/screenshots/$1.png" "file://$html" >/dev/null 2>&1
  echo "screenshots/$1.png"
}

mkdir -p screenshots
settle "Servers [1/5]"
shot list

keys '?'
settle "╭ Keys"
shot help
keys Escape
gone "╭ Keys"

keys j
settle "╭ notes"
shot detail

# v: one authenticated MCP request; the details show the server and what it offers.
keys v
settle "Verified      test-server"
shot verify

# r on tickets, whose server is gone: the error in plain words.
keys j j
settle "╭ tickets"
keys r
settle "refresh failed"
shot error

keys G
settle "╭ wiki"
keys l
settle "Open this URL if no browser appeared"
shot login
keys Escape
settle "login cancelled"

# e: the same account with a code entered on another device (the server offers device logins).
keys e
settle "Code  WDJB-"
shot device
keys Escape
settle "login cancelled"
keys q
