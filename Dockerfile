# syntax=docker/dockerfile:1
# The one image: `syncjob operator` (the Deployment) and the worker pods it starts, which run
# `node dist/cli/main.js worker …` from WORKDIR /app (src/operator/worker-pod.ts).
#   docker build -t ghcr.io/syncjob/syncjob-operator:0.1.0 .
ARG NODE_IMAGE=node:24-bookworm-slim

# Build: every dependency (the `node` devDependency fetches Node 24 for npm scripts), the Kafka
# client's native module from its own sources (scripts/install-deps.sh, as `make deps` does), then tsc.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/install-deps.sh ./scripts/
COPY scripts/testenv/lib.sh ./scripts/testenv/
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/copy-assets.ts ./scripts/
RUN npm run build

# Production dependencies only: the built tree without devDependencies (the native module stays).
FROM build AS deps
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# librdkafka is linked against Debian's OpenSSL and zstd.
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 libzstd1 zlib1g \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# The process needs node only: drop npm, npx, corepack and yarn from the image.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
  /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
# Numeric, so runAsNonRoot can verify it; root owns the files, so the process cannot change them.
USER 65532:65532
EXPOSE 8080
# The flags are WORKER_NODE_FLAGS (src/worker/node-flags.ts).
ENTRYPOINT ["node", "--max-semi-space-size=8", "dist/cli/main.js"]
CMD ["operator"]
