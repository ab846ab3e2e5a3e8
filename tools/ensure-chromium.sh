#!/bin/sh
# The browser tests drive Debian's Chromium. Install it when missing and we are root;
# otherwise say how, and the browser tests will skip with the same message.
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium for the browser tests (apt-get)..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "chromium is not installed: the browser tests will be skipped." >&2
    echo "Install it with: sudo apt-get install chromium" >&2
fi
