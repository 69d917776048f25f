#!/bin/sh
# Renews every store entry `certtool check-expiry --needs-renewal` names: a self-signed entry
# with `certtool renew`; for a CA-signed one it writes the CSR to send to the CA
# ($CERTTOOL_CSR_DIR, default ./) and says so: the CA's answer is imported with
# `certtool import-signed NAME --cert FILE`. Then, when the configuration binds a renewed entry,
# a commit applies it. Exits non-zero when something could not be renewed here.
# Environment: CERTTOOL (the binary, default /opt/certtool/bin/certtool), CERTTOOL_HOME (the store).
set -eu
certtool=${CERTTOOL:-/opt/certtool/bin/certtool}
csr_dir=${CERTTOOL_CSR_DIR:-.}

status=0
names=$("$certtool" check-expiry --needs-renewal | sed -n 's/^needs renewal: //p') || true
renewed=0
for name in $names; do
    origin=$("$certtool" show "$name" --json | sed -n 's/.*"origin":"\([a-z0-9-]*\)".*/\1/p')
    if [ "$origin" = "self-signed" ]; then
        "$certtool" renew "$name"
        renewed=1
    else
        "$certtool" export-csr "$name" -o "$csr_dir/$name.csr" --force
        echo "certtool-renew: $name is $origin: send $csr_dir/$name.csr to its CA, then" \
             "certtool import-signed $name --cert SIGNED.pem" >&2
        status=1
    fi
done
# A renewed entry keeps its name, so the configuration is unchanged: a rollback to the current
# revision re-applies it with the new certificates (nothing to do before the first commit).
if [ "$renewed" = 1 ]; then
    current=$("$certtool" history --json | sed -n 's/.*"revision":\([0-9]*\).*/\1/p' | tail -n 1)
    if [ -n "$current" ]; then
        "$certtool" rollback "$current" --comment "renewed: $names"
    fi
fi
exit "$status"
