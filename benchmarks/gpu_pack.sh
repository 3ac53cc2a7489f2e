#!/usr/bin/env bash
# Copy the data the GPU checks read into .gpu-data/ (git-ignored), the folder a device run carries:
# the device machine gets the repository but not ../shared beside it. About 49 MB (the carry limit is 64 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=${TRAINWELL_SHARED_DATA:-../shared/data}
mkdir -p .gpu-data/cifar10 .gpu-data/ptb .gpu-data/imdb .gpu-data/sst2
cp -u "$SOURCE/cifar10/cifar10.tgz" .gpu-data/cifar10/
cp -u "$SOURCE"/ptb/ptb.*.txt.gz .gpu-data/ptb/
cp -u "$SOURCE"/imdb/*.csv.gz .gpu-data/imdb/
cp -u "$SOURCE"/sst2/*.tsv.gz .gpu-data/sst2/
du -sh .gpu-data
