#!/usr/bin/env bash
# Debian's Chromium, for the report test (tests/integration/test_report.py): the report is
# opened in headless Chromium with every request sent to a recording proxy, to show that it
# renders offline with every image. Nothing is started here.
# Usage: tools/install-chromium.sh   (idempotent; uses sudo when not root)
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
if ! command -v chromium >/dev/null; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    chromium fonts-dejavu-core >/dev/null
fi
chromium --version
