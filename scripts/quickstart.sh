#!/bin/sh
# SPDX-License-Identifier: MIT
# Quick start: install what is missing, build, build the default guest
# image and run the main job on the embedded default (no libvirtd needed).
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec ./scripts/demo.sh
