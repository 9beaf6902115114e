#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job on the embedded default: build the default guest image if
# it is missing, run examples/quickstart.conf, print the results.
set -eu
cd "$(dirname "$0")/.."
VEXP=${VEXP:-./build/orchestrator/vexp}
STORE=${VEXP_STORE:-results.db}
IMAGE_DIR=${VEXP_IMAGE_DIR:-/var/lib/vexp/image}

if [ ! -f "$IMAGE_DIR/manifest" ]; then
    "$VEXP" image build -o "$IMAGE_DIR"
fi
"$VEXP" doctor || true
status=0
"$VEXP" run examples/quickstart.conf --store "$STORE" || status=$?
"$VEXP" results --store "$STORE"
exit $status
