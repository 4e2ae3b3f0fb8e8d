# reviewbot: the GitHub App server (`reviewbot serve`: webhooks plus an in-process worker).
# Build:  docker build -t reviewbot .
# Run:    docker run -p 8000:8000 -v reviewbot-data:/data \
#           -e GITHUB_APP_ID=... -e GITHUB_WEBHOOK_SECRET=... -e GITHUB_PRIVATE_KEY="$(cat app.pem)" reviewbot
# Workers apart:  docker run ... -e REVIEWBOT_QUEUE_URL=redis://redis:6379/0 reviewbot reviewbot worker

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY reviewbot ./reviewbot
COPY prompts ./prompts
RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels ".[postgres]"

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    REVIEWBOT_DATA_DIR=/data
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir --no-index --find-links=/wheels "reviewbot[postgres]" \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home reviewbot \
    && mkdir -p /data && chown reviewbot:reviewbot /data
USER reviewbot:reviewbot
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["reviewbot", "serve", "--host", "0.0.0.0", "--port", "8000"]
