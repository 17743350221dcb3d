#!/usr/bin/env bash
# Installs the system programs some tests drive for real: Debian's chromium (the HTML report is opened in headless
# Chromium) and redis-server (the job-queue tests start one on loopback). Runs before `npm test`.
# Where they cannot be installed (not root, no apt-get), the tests that need them skip with a notice, except under
# CI=true, where they fail.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test dependencies: ${need[*]}" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/tmp/fusion-apt.log 2>&1 \
    || { echo "could not install ${need[*]} (see /tmp/fusion-apt.log); the tests that need them will skip or, under CI, fail" >&2; exit 0; }
else
  echo "notice: ${need[*]} not installed and cannot be installed here (needs root and apt-get); the tests that use them will skip" >&2
fi
exit 0
