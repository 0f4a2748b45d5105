#!/usr/bin/env bash
# The README's main job: installs what vmtrace needs, brings up everything real on this machine
# (vCenter simulator, 4 ESXi-like hosts speaking LLDP/CDP, Open vSwitch, the vmtrace agent),
# shows what the switch carries and what the agent says, times a vMotion, and tears it all down.
#
#   bash scripts/lab.sh            install, up, show, vMotion, down
#   bash scripts/lab.sh --keep     …and leave the lab running (prints how to look at it and stop it)
#   bash scripts/lab.sh down       stop a kept (or crashed) lab
#   bash scripts/lab.sh status|vmotion|show    the lab's own commands (test/lab/lab.ts)
# Options after the command go to test/lab/lab.ts (--prefix, --dir, --snmp-port, --hold-down …).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "lab: needs root (network namespaces, Open vSwitch)" >&2; exit 1; }

lab() { node --import tsx test/lab/lab.ts "$@"; }

case "${1:-}" in
  down | status | vmotion | show | up | hints)
    cmd=$1
    shift
    [ -d node_modules/tsx ] || bash scripts/install-deps.sh
    lab "$cmd" "$@"
    exit $?
    ;;
esac

keep=0
args=()
for a in "$@"; do
  if [ "$a" = --keep ]; then keep=1; else args+=("$a"); fi
done

echo "== installing dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh

failed() {
  echo >&2
  echo "lab: FAILED during $1 (the message above says why)" >&2
  if [ "$keep" = 1 ]; then
    echo "lab: left running for a look (--keep): bash scripts/lab.sh status ${args[*]:-}; stop it with: bash scripts/lab.sh down ${args[*]:-}" >&2
  else
    lab down "${args[@]}" >&2 || true
  fi
  exit 1
}

# Ctrl-C: the lab's daemons run detached from this terminal; without --keep, take them down
trap 'echo >&2; echo "lab: interrupted" >&2; if [ "$keep" = 1 ]; then echo "lab: stop it with: bash scripts/lab.sh down ${args[*]:-}" >&2; else lab down "${args[@]}" >&2 || true; fi; exit 130' INT TERM

echo
echo "== lab up"
VMTRACE_LAB_HINTS=0 lab up "${args[@]}" || failed "lab up"
echo
echo "== vMotion"
lab vmotion "${args[@]}" || failed "the vMotion"
echo
echo "== lab status"
lab status "${args[@]}" || failed "the final status"
echo
if [ "$keep" = 1 ]; then
  lab hints "${args[@]}"
  echo
  echo "lab: OK (kept running)"
else
  echo "== lab down"
  lab down "${args[@]}"
  echo "lab: OK"
fi
