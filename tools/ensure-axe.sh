#!/bin/sh
# The accessibility checks in the browser tests inject axe-core (Deque, MPL-2.0) into each page.
# Install the pinned version from npm into a cache folder once; print the path of axe.min.js.
# Without npm (or offline) say so: the accessibility tests then skip with the same message.
set -eu
AXE_VERSION="${DW_AXE_VERSION:-4.14.1}"
CACHE="${DW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dormancy-widgets}"
DIR="$CACHE/axe-core-$AXE_VERSION"
JS="$DIR/node_modules/axe-core/axe.min.js"
if [ ! -f "$JS" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm is not installed: the accessibility (axe) browser tests will be skipped." >&2
        echo "Install it with: sudo apt-get install npm" >&2
        exit 0
    fi
    echo "Installing axe-core $AXE_VERSION into $DIR (npm)..." >&2
    mkdir -p "$DIR"
    npm install --silent --no-audit --no-fund --no-save --prefix "$DIR" "axe-core@$AXE_VERSION" >&2 || {
        echo "npm could not install axe-core $AXE_VERSION: the accessibility tests will be skipped." >&2
        exit 0
    }
fi
echo "$JS"
