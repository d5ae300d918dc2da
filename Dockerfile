# gpmon in a slim Node 20 Debian image: Debian's Chromium headless shell (no
# browser download at build or run time; headless is all a container runs, at a
# third of the full browser's CPU per run), production dependencies only, a non-root user.
# Config and secrets come from mounts and the environment, never the image.
# test/packaging/ checks this file without a Docker engine.

FROM node:20-bookworm-slim AS deps
# better-sqlite3 builds from source where no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    GPMON_CHROMIUM=/usr/lib/chromium/chromium-headless-shell
# tini as PID 1: the executor kills whole process groups, and Chromium's
# helpers that outlive their parent are reparented to PID 1, which must reap them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium-headless-shell fonts-liberation ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json playwright.config.ts tsconfig.json monitor.config.ts ./
COPY bin ./bin
COPY src ./src
COPY journeys ./journeys
# The runbook the console serves at /runbook (alert annotations link there by default).
COPY docs/runbook.md ./docs/runbook.md
# A fixed uid and gid (10001), and a numeric USER, so Kubernetes' runAsNonRoot
# can verify the user and the manifests' runAsUser/fsGroup match the image.
RUN groupadd --system --gid 10001 gpmon \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/gpmon gpmon \
 && mkdir -p /app/runs && chown 10001:10001 /app/runs
USER 10001:10001
VOLUME ["/app/runs"]
EXPOSE 9595
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/gpmon.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "9595"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9595/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
