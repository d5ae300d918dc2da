# gpmon in a slim Node 20 Debian image, with Debian's Chromium (no browser
# download at build or run time), production dependencies only, non-root.
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    GPMON_CHROMIUM=/usr/bin/chromium

RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY journeys ./journeys
COPY dashboards ./dashboards
COPY playwright.config.ts tsconfig.json ./

RUN useradd --system --create-home --uid 10001 gpmon
USER gpmon

# Until the daemon lands the image runs the staging simulator on fixed ports;
# it becomes `gpmon serve` (HEALTHCHECK on /healthz) with the monitor issue.
EXPOSE 8081 8082 8083
ENTRYPOINT ["node", "bin/gpmon.js"]
CMD ["simulator", "--host", "0.0.0.0", "--app-port", "8081", "--auth-port", "8082", "--api-port", "8083"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8083/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
