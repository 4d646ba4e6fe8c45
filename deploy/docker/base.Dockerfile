# syntax=docker/dockerfile:1.7
# Shared base of every TradeMaster image (build it first: deploy/docker/build.sh does).
#
#   runtime  what the final stage of each service image starts FROM: Python, a non-root numeric
#            user, no compilers, no package caches; settings for a read-only root filesystem
#            (no .pyc writes, HOME and TMPDIR on /tmp, which the pod mounts as an emptyDir).
#   builder  runtime + uv (pinned); the service Dockerfiles install the locked dependencies
#            into /opt/venv here and copy only that venv into their final stage.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS runtime
ARG TM_UID=10001
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    TMPDIR=/tmp \
    TM_DATA_ROOT=/var/lib/trademaster
# One numeric user and group for every image; manifests pin runAsUser/runAsGroup to the same.
RUN groupadd --system --gid "${TM_UID}" trademaster \
 && useradd --system --uid "${TM_UID}" --gid "${TM_UID}" --home-dir /tmp --no-create-home \
      --shell /usr/sbin/nologin trademaster \
 && mkdir -p /var/lib/trademaster \
 && chown "${TM_UID}:${TM_UID}" /var/lib/trademaster
WORKDIR /opt/tm
USER ${TM_UID}:${TM_UID}

FROM runtime AS builder
# Builds run as root; no image runs from this stage (final stages start FROM runtime).
# hadolint ignore=DL3002
USER 0:0
ARG UV_VERSION=0.13.9
# uv from PyPI (the same client the repo's bootstrap uses); the cache is a BuildKit cache mount,
# so nothing of it reaches an image layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-compile "uv==${UV_VERSION}"
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3
WORKDIR /src
# Workspace metadata only: enough for `uv sync --frozen` to resolve any member from uv.lock.
COPY uv.lock pyproject.toml ./
COPY libs/trademaster/pyproject.toml libs/trademaster/
# The generated API stubs and the Python client are workspace packages the library depends on;
# their READMEs are their `readme` metadata, which the wheel build reads.
COPY libs/trademaster-api/pyproject.toml libs/trademaster-api/README.md libs/trademaster-api/
COPY clients/python/pyproject.toml clients/python/README.md clients/python/
COPY services/gateway/pyproject.toml services/gateway/
COPY services/strategy/pyproject.toml services/strategy/
COPY services/trainer/pyproject.toml services/trainer/
COPY services/backtest/pyproject.toml services/backtest/
COPY services/risk/pyproject.toml services/risk/
COPY services/notifier/pyproject.toml services/notifier/
COPY deploy/docker/install-venv.sh /usr/local/bin/install-venv
