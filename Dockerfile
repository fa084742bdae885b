# syntax=docker/dockerfile:1
# vsnap: production image. Build: docker build -t vsnap .

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only (tsx runs the TypeScript sources; no build step).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The web console (served at /ui): built with the dev dependencies, only its output is kept.
FROM node:24-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY ui ./ui
RUN node --import tsx scripts/console-build.ts

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    VSNAP_DATA_DIR=/var/lib/vsnap
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY schema ./schema
COPY --from=console /app/ui/dist ./ui/dist
RUN mkdir -p /var/lib/vsnap && chown node:node /var/lib/vsnap
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# main.ts applies pending migrations, then serves; SIGTERM drains in-flight requests. A worker-only
# process (VSNAP_ROLES=worker) bounds V8's young generation: an archive's allocation otherwise grows
# it to 128 MiB (bench:archive: peak RSS 202/217 MiB at 50,000/100,000 objects instead of 305-362);
# processes that serve the API keep V8's default (8 MiB costs their requests 8-12 % more CPU, bench:query).
CMD ["sh", "-c", "if [ \"$VSNAP_ROLES\" = worker ]; then export NODE_OPTIONS=\"--max-semi-space-size=8 $NODE_OPTIONS\"; fi; exec node --import tsx src/main.ts"]
