# syntax=docker/dockerfile:1
# The API image: multi-stage, production dependencies only, non-root, tini as PID 1, migrations by the entrypoint.
# docker-compose.yml builds it; see deploy/docs/GUIDE.md ("Docker").

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini openssl ca-certificates \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=5000 \
    MALLOC_ARENA_MAX=2 \
    NODE_ARGS="--enable-source-maps --min-semi-space-size=16 --max-semi-space-size=16 --max-old-space-size=192 --no-concurrent-marking"
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Reference data read at migrate time (geography seed).
COPY --from=build /app/libs/geography/data ./libs/geography/data
COPY deploy/docker/entrypoint.sh deploy/docker/self-signed-cert.sh ./deploy/docker/
# The app writes nothing but .data/ (development-only files), the stored documents (DOCUMENTS_DIR) and card keys
# (CARD_KEYS_DIR, written by `cli.js card-key`): volumes
# in docker-compose.yml, created here so a new named volume starts owned by node; nothing else.
RUN mkdir -p /app/.data /var/lib/eff/documents /var/lib/eff/card-keys \
  && chown node:node /app/.data /var/lib/eff/documents /var/lib/eff/card-keys \
  && chmod 700 /var/lib/eff/documents /var/lib/eff/card-keys
USER node
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||5000)+'/api/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/deploy/docker/entrypoint.sh"]
