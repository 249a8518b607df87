#!/usr/bin/env bash
# What `npm test` needs beside node_modules: PostgreSQL's binaries (the store and cluster suites start their own
# throw-away server from them) and squid (the proxy suites start their own squid). Installed from Debian's packages
# when missing and run as root — without creating or starting any system service; otherwise named, with the command
# that installs them (a missing PostgreSQL only warns: its suites are skipped with a banner, unless REQUIRE_POSTGRES=1).
# PG_BIN and SQUID point at binaries installed elsewhere.
#
# As root, some suites run the built gateway as the unprivileged `nobody` (as the Docker image runs it): the
# checkout must be readable by others. A checkout in a private directory (mktemp -d) is opened up; a private
# directory above it is named.
set -euo pipefail

if [ "$(id -u)" = 0 ]; then
  project=$(cd "$(dirname "$0")/.." && pwd)
  chmod a+rx "$project"
  dir=$(dirname "$project")
  while [ "$dir" != / ]; do
    if [ "$(( 0$(stat -c %a "$dir") & 1 ))" = 0 ]; then
      echo "The tests run the gateway as nobody, who cannot reach $project: $dir is not searchable by others (chmod o+x $dir)" >&2
      exit 1
    fi
    dir=$(dirname "$dir")
  done
fi

missing=()
if [ -z "${PG_BIN:-}" ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then missing+=(postgresql); fi
if [ -z "${SQUID:-}" ] && ! command -v squid >/dev/null && [ ! -x /usr/sbin/squid ]; then missing+=(squid-openssl); fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  # Without PostgreSQL the real-PostgreSQL suites are skipped with a banner, unless REQUIRE_POSTGRES=1 (CI).
  if [[ " ${missing[*]} " == *' postgresql '* ]] && [ "${REQUIRE_POSTGRES:-}" != 1 ] && [ "${REQUIRE_POSTGRES:-}" != true ]; then
    echo "PostgreSQL is not installed: the real-PostgreSQL suites will be skipped (sudo apt-get install -y postgresql, or set PG_BIN, to run them)" >&2
    missing=("${missing[@]/postgresql}")
    read -ra missing <<< "${missing[*]}"
    [ ${#missing[@]} -eq 0 ] && exit 0
  fi
  echo "The tests need ${missing[*]}: install with  sudo apt-get install -y ${missing[*]}  (or set PG_BIN / SQUID)" >&2
  exit 1
fi

echo "Installing ${missing[*]} for the tests (no service is created or started)"
export DEBIAN_FRONTEND=noninteractive
# Refuse service starts while installing (exit 101 = "action forbidden"), unless a policy is already in place.
policy_created=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  policy_created=1
fi
trap 'if [ -n "$policy_created" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
apt-get update
if [[ " ${missing[*]} " == *' postgresql '* ]]; then
  apt-get install -y --no-install-recommends postgresql-common
  # No "main" cluster: nothing is created, so nothing can be left running.
  sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
fi
apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold "${missing[@]}"
