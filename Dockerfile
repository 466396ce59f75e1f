# syntax=docker/dockerfile:1
# Noodwijzer: one image for every part; the first argument picks the role
# (gateway, rasa, actions, nlg). See docs/deploy.md.
#
#   docker build -t noodwijzer:1 .
#   docker run --rm -p 8080:8080 noodwijzer:1 gateway
#
# Exact base tag: Rasa 3.6 needs Python 3.10; to pin by digest as well, pass
# --build-arg PYTHON_IMAGE=python:3.10.19-slim-bookworm@sha256:<digest from your registry>.
ARG PYTHON_IMAGE=python:3.10.19-slim-bookworm

# --- 1. dependencies: a virtualenv with exactly the pinned set ---------------------------
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# Every dependency has a wheel for CPython 3.10 on x86_64 except three pure-Python
# ones (docopt, mattermostwrapper, randomname), so no compiler is needed.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install pip==24.0
COPY requirements.txt constraints.txt /tmp/
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt -c /tmp/constraints.txt

# --- 2. the model, trained from exactly the data in this image --------------------------
# Training at build time (about 2 minutes on 2 cores) instead of copying models/:
# the image never depends on what happens to lie in a developer's models/ folder,
# and its model always matches the training data, domain and config it ships.
FROM deps AS model
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=3
COPY config.yml domain.yml ./
COPY data/ data/
COPY bot/ bot/
COPY bot_rasa/ bot_rasa/
COPY scripts/ensure_model.py scripts/
RUN python scripts/ensure_model.py \
    && ls models/nw-*.tar.gz

# --- 2b. de-identification (issue 19, opt-in "leren"): deduce in a virtualenv of its own ----
# deduce 3.x needs a newer regex than Rasa 3.6 allows (requirements-deidentify.txt). Its
# lookup tables are built here, so the worker never builds or downloads at run time.
FROM ${PYTHON_IMAGE} AS deidentify
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements-deidentify.txt /tmp/
RUN python -m venv /app/.venv-deidentify \
    && /app/.venv-deidentify/bin/pip install --no-deps -r /tmp/requirements-deidentify.txt \
    && /app/.venv-deidentify/bin/python -c "import deduce; deduce.Deduce()"

# --- 3. runtime: the virtualenv, the source and the model, run as an unprivileged user ---
FROM ${PYTHON_IMAGE} AS runtime
# A fixed numeric id, so Kubernetes' runAsNonRoot can check it (deploy/kubernetes).
RUN groupadd --system --gid 10001 noodwijzer \
    && useradd --system --uid 10001 --gid noodwijzer --no-create-home --home-dir /tmp noodwijzer
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=3 \
    LOG_LEVEL_LIBRARIES=ERROR \
    SANIC_REGISTER=false \
    TF_INTRA_OP_PARALLELISM_THREADS=1 \
    TF_INTER_OP_PARALLELISM_THREADS=1
COPY --from=deps /opt/venv /opt/venv
COPY --from=deidentify /app/.venv-deidentify /app/.venv-deidentify
# Code and data belong to root and are read-only for the app user; what the
# processes write goes to /tmp and /app/var (volumes in deploy/kubernetes).
COPY config.yml domain.yml endpoints.yml endpoints.redis.yml credentials.yml alembic.ini ./
COPY bot/ bot/
COPY bot_rasa/ bot_rasa/
COPY actions/ actions/
COPY data/ data/
COPY templates/ templates/
COPY migrations/ migrations/
COPY --from=model /app/models/ models/
COPY deploy/entrypoint.sh /usr/local/bin/noodwijzer
# Bytecode compiled once here, because the root filesystem is read-only at run time.
RUN python -m compileall -q bot bot_rasa actions migrations \
    && mkdir -p /app/var \
    && chown noodwijzer:noodwijzer /app/var
USER 10001:10001
# gateway, Rasa, actions, NLG
EXPOSE 8080 5005 5055 5056
ENTRYPOINT ["noodwijzer"]
CMD ["gateway"]
