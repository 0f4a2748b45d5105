#!/usr/bin/env bash
# Installs what vmtrace's lab and tests need on Debian 12, idempotently: apt packages,
# node modules (npm ci), the TypeScript build and the vCenter simulator launcher.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(lldpd snmpd snmp snmptrapd tcpdump tshark smitools libpcap-dev openvswitch-switch
  openvswitch-vtep python3-openvswitch golang-go golang-github-vmware-govmomi-dev tmux
  prometheus-snmp-exporter iproute2 build-essential python3)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "vmtrace: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # tshark asks whether non-root users may capture; the default (no) is fine.
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian starts the packaged daemons; our lab and tests run their own instances.
for svc in openvswitch-switch snmpd lldpd prometheus-snmp-exporter; do
  systemctl is-active --quiet "$svc" 2>/dev/null && systemctl stop "$svc" 2>/dev/null || true
done

stamp=node_modules/.vmtrace-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

npm run -s build

# The govmomi simulator, built offline from Debian's Go sources (DESIGN §7).
if [ -d test/peers/vcsim ] && ls test/peers/vcsim/*.go >/dev/null 2>&1; then
  bin=.cache/vcsim
  src_newer=$(find test/peers/vcsim -name '*.go' -newer "$bin" 2>/dev/null | head -1 || true)
  if [ ! -x "$bin" ] || [ -n "$src_newer" ]; then
    mkdir -p .cache/gopath
    GO111MODULE=off GOPATH="$PWD/.cache/gopath:/usr/share/gocode" GOCACHE="$PWD/.cache/gocache" \
      GOFLAGS=-mod=mod go build -o "$bin" ./test/peers/vcsim
  fi
fi
