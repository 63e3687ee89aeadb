#!/usr/bin/env bash
# nginx from Debian's packages: the load balancer of the production profile (scripts/production.sh,
# deploy/nginx.conf.template). Only the binary is needed: production.sh runs its own nginx with a
# generated configuration and does not use the package's system service. Idempotent, and quick when
# nginx is already installed.
set -euo pipefail

if dpkg-query -W -f='${Status}' nginx 2>/dev/null | grep -q "install ok installed" && [ -x /usr/sbin/nginx ]; then
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi
echo "installing nginx from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends nginx
test -x /usr/sbin/nginx
