#!/usr/bin/env bash
# Installs the Debian packages that ship the system binaries of the given step groups
# (system-binaries.txt beside this file is the one list). Skips what is already on PATH.
#   tooling/ci/install-system-tools.sh test image drill compose browser
# Needs root or sudo and apt-get (Debian/Ubuntu runners, the CI machine).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ "$#" -gt 0 ] || { echo "usage: $0 <group>... (groups: $(awk '!/^#/ && NF {print $3}' "$here/system-binaries.txt" | sort -u | tr '\n' ' '))" >&2; exit 2; }
packages=()
for group in "$@"; do
  found=0
  while read -r name pkg grp; do
    [ "$grp" = "$group" ] || continue
    found=1
    command -v "$name" >/dev/null 2>&1 && continue
    [[ " ${packages[*]-} " == *" $pkg "* ]] || packages+=("$pkg")
  done < <(grep -v '^#' "$here/system-binaries.txt" | awk 'NF')
  [ "$found" = 1 ] || { echo "unknown step group: $group" >&2; exit 2; }
done
if [ "${#packages[@]}" -eq 0 ]; then
  echo "system tools for [$*]: all present"
  exit 0
fi
echo "system tools for [$*]: installing ${packages[*]}"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# Debian's prometheus, alertmanager and blackbox packages start servers (:9090, :9093, :9115) where an init system
# runs; checks start their own on free ports.
$sudo pkill -x prometheus 2>/dev/null || true
# (their command names pass pkill -x's 15 characters: match the command line)
$sudo pkill -f '^/usr/bin/prometheus-alertmanager' 2>/dev/null || true
$sudo pkill -f '^/usr/bin/prometheus-blackbox-exporter' 2>/dev/null || true
