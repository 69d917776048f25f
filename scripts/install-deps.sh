#!/usr/bin/env bash
# Installs everything certtool needs to build, test and benchmark, from Debian 12 packages.
# Shared by README's quick start and .ci/run. Run as root (or with sudo).
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
# man-db and groff-base render the generated man page in the tests, zsh checks its completion.
# Postfix is only a test peer (private instances on loopback): install it unconfigured.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
# slapd too (a private instance on loopback for the LDAP client-certificate test): no database.
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
# nginx and pebble (the ACME test server, with pebble-challtestsrv; private instances on
# loopback) are test peers too: their packages must not start a system service (port 80 may be
# taken, and nothing here needs one). policy-rc.d says so to invoke-rc.d, for this install only.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# jq: the ACME tests (tests/acme/) read certtool's --json with it.
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build pkg-config \
  libssl-dev openssl libcli11-dev libfmt-dev nlohmann-json3-dev catch2 zlib1g-dev libidn2-dev \
  libcurl4-openssl-dev \
  gnutls-bin default-jre-headless ca-certificates dnsmasq-base \
  postfix postfix-ldap slapd swaks libnet-ssleay-perl iproute2 gzip nginx-light pebble \
  hyperfine time clang-format git jq curl \
  man-db groff-base zsh \
  clang libclang-rt-dev >/dev/null  # scripts/fuzz.sh: libFuzzer and the sanitizer runtimes
echo "dependencies installed"
