#!/usr/bin/env bash
# Debian packages for the browser tests (tests/web, marker `browser`): Chromium, which Playwright
# drives through executable_path=/usr/bin/chromium (Playwright's own browser download is not used:
# the machines reach only the package registries), and a CJK font so pages and screenshots show
# Chinese instead of empty boxes. Idempotent, and quick when everything is already installed.
set -euo pipefail

PACKAGES=(chromium fonts-wqy-microhei)

missing=()
for package in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ "${#missing[@]}" -eq 0 ] && [ -x /usr/bin/chromium ]; then
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi
echo "installing ${missing[*]:-chromium} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]:-chromium}"
test -x /usr/bin/chromium
