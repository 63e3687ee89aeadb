#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter: Rasa 3.6 does not run on 3.11+.
set -euo pipefail
for candidate in python3.10 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/"3.10*/bin/python "$HOME/.pyenv/versions/"3.10*/bin/python /usr/bin/python3.10; do
  if [ -x "$(command -v "$candidate" 2>/dev/null || echo "$candidate")" ] && \
     "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
    command -v "$candidate" 2>/dev/null || echo "$candidate"
    exit 0
  fi
done
echo "Python 3.10 not found: install it (e.g. 'pyenv install 3.10') — Rasa 3.6 needs Python <= 3.10" >&2
exit 1
