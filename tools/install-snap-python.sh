#!/usr/bin/env bash
# Python side of the SNAP engine: GDAL's bindings (built against Debian's libgdal-dev, the
# version gdal-config reports), pyroSAR and burst2safe (SAFE products from burst downloads), plus the pysqlite2 alias spatialist needs on a
# Python without sqlite extension loading (compat/pysqlite2-alias/README.md says why).
# Usage: tools/install-snap-python.sh [VENV]   (default .venv; run from the repository root)
set -euo pipefail
venv=${1:-.venv}
if ! command -v gdal-config >/dev/null || ! command -v pg_config >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq libgdal-dev libpq-dev >/dev/null
fi
"$venv/bin/python" -m pip install --quiet --no-build-isolation "GDAL==$(gdal-config --version)"
"$venv/bin/python" -m pip install --quiet -c constraints.txt pyroSAR burst2safe ./compat/pysqlite2-alias
"$venv/bin/python" -c "from massmove.snap.nodes import pyrosar_auxil; pyrosar_auxil()"
