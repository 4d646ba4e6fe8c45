#!/usr/bin/env bash
# Build every TradeMaster image from the repository root (needs Docker with BuildKit).
#   deploy/docker/build.sh [TAG] [--base-only]   default TAG: dev; REGISTRY=ghcr.io/acme/ prefixes
#   names; --base-only builds just the two shared stages (the Tiltfile does, before its builds)
# Images: trademaster/{base,builder} (shared stages), one per service, and the Ray image in two
# variants: trademaster/ray:TAG-cpu and trademaster/ray:TAG-cuda.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
tag="${1:-dev}"
registry="${REGISTRY:-}"
export DOCKER_BUILDKIT=1

base="${registry}trademaster/base:${tag}"
builder="${registry}trademaster/builder:${tag}"
docker build -f deploy/docker/base.Dockerfile --target runtime -t "$base" .
docker build -f deploy/docker/base.Dockerfile --target builder -t "$builder" .
if [ "${2:-}" = "--base-only" ]; then exit 0; fi
args=(--build-arg "BASE_IMAGE=$base" --build-arg "BUILDER_IMAGE=$builder")
for service in gateway strategy trainer backtest risk notifier; do
  docker build -f "services/$service/Dockerfile" "${args[@]}" -t "${registry}trademaster/$service:${tag}" .
done
for variant in cpu cuda; do
  docker build -f services/trainer/ray.Dockerfile "${args[@]}" --build-arg "TORCH_VARIANT=$variant" \
    -t "${registry}trademaster/ray:${tag}-${variant}" .
done
