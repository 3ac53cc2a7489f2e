#!/usr/bin/env bash
# Copy the data the GPU checks read into .gpu-data/ (git-ignored), the folder a device run carries:
# the device machine gets the repository but not ../shared beside it. About 21 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=${TRAINWELL_SHARED_DATA:-../shared/data}
mkdir -p .gpu-data/cifar10 .gpu-data/ptb
cp -u "$SOURCE/cifar10/cifar10.tgz" .gpu-data/cifar10/
cp -u "$SOURCE"/ptb/ptb.*.txt.gz .gpu-data/ptb/
du -sh .gpu-data
