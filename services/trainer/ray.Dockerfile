# syntax=docker/dockerfile:1.7
# The Ray image of the KubeRay RayCluster (head and every worker group): Ray plus the
# trademaster library, so the trainer's jobs (`python -m trademaster.training.ray_job`) run
# unchanged on the cluster. Two variants from one file:
#   docker build -f services/trainer/ray.Dockerfile --build-arg TORCH_VARIANT=cpu  -t trademaster/ray:dev-cpu .
#   docker build -f services/trainer/ray.Dockerfile --build-arg TORCH_VARIANT=cuda -t trademaster/ray:dev-cuda .
# cuda keeps the locked PyPI torch, whose wheels carry the CUDA runtime; the GPU node provides
# the driver (NVIDIA device plugin / container toolkit). KubeRay starts `ray start` itself.
ARG BASE_IMAGE=trademaster/base:dev
ARG BUILDER_IMAGE=trademaster/builder:dev

FROM ${BUILDER_IMAGE} AS build
WORKDIR /src
ARG TORCH_VARIANT=cpu
# tm-trainer's closure is trademaster[service,rl,ray]: the library, torch and ray[default].
RUN --mount=type=cache,target=/root/.cache/uv \
    install-venv tm-trainer "${TORCH_VARIANT}" --no-install-workspace
COPY libs/trademaster/trademaster libs/trademaster/trademaster
COPY clients/python/trademaster_client clients/python/trademaster_client
COPY services/trainer/tm_trainer services/trainer/tm_trainer
RUN --mount=type=cache,target=/root/.cache/uv \
    install-venv tm-trainer "${TORCH_VARIANT}"

# Tilt's dev loop (target dev): library sources in /opt/tm/live first on PYTHONPATH, so every
# new Ray job runs the synced code (jobs are fresh processes; no restart needed).
FROM ${BASE_IMAGE} AS dev
COPY --from=build /opt/venv /opt/venv
COPY --chown=10001:10001 libs/trademaster/trademaster /opt/tm/live/trademaster
ENV PYTHONPATH=/opt/tm/live RAY_USAGE_STATS_ENABLED=0
USER 10001:10001
CMD ["ray", "--help"]

# The release image (default target).
FROM ${BASE_IMAGE}
COPY --from=build /opt/venv /opt/venv
# Ray writes its session files under /tmp/ray (an emptyDir in the pod); no usage stats calls.
ENV RAY_USAGE_STATS_ENABLED=0
USER 10001:10001
# KubeRay overrides the command with `ray start ...`; this default makes `docker run` useful.
CMD ["ray", "--help"]
