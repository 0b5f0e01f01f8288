# OIA Registry API image: `docker build -t oia-registry .`
# Two stages: `build` resolves nothing (uv.lock only, --frozen) and compiles bytecode; `runtime`
# copies the finished /app (venv + source) onto a clean slim Python, runs as an unprivileged user,
# and reports healthy only when /health/ready says the database is reachable and migrated.

FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# Dependencies first, in their own layer: source edits do not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY alembic.ini ./
COPY alembic ./alembic
COPY service ./service
# The project itself, editable, so `alembic.ini` and `alembic/` resolve next to `service/`.
RUN uv sync --frozen --no-dev

FROM python:3.11-slim AS runtime
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 oia \
    && useradd --system --uid 10001 --gid oia --home-dir /app --no-create-home --shell /usr/sbin/nologin oia
WORKDIR /app
# Code and venv stay root-owned (read-only to the service); only var/ (embedded PostgreSQL, when
# no DATABASE_URL is given) is writable.
COPY --from=build /app /app
RUN mkdir -p /app/var && chown oia:oia /app/var
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=4).status != 200)"]
ENTRYPOINT ["oia"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
