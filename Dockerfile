# One image for every process: the server (default command), `worker/main.ts` and `cli/main.ts`.
# Tags are pinned: the Node patch release matches the npm `node` package the project pins.
FROM node:24.21.0-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only (no vitest, typescript, s3rver ...). `npm ci` is avoided for the
# reason in .ci/run. The npm `node` package would add a second copy of Node: the image has one.
RUN npm install --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/node node_modules/.bin/node \
 && npm cache clean --force

FROM node:24.21.0-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
# A young generation of 8 MB semi-spaces (as `npm start`): the Buffers a server drops are freed
# by the next scavenge instead of piling up behind V8's default 16-32 MB ones (docs/operations.md).
ENV NODE_OPTIONS=--max-semi-space-size=8
COPY --from=dependencies /app/node_modules ./node_modules
# .dockerignore keeps .data/, master.key, node_modules and tests out of this copy.
COPY . .
USER node
EXPOSE 3000
# node itself is PID 1 (no npm or shell wrapper), so SIGTERM from `docker stop` or Kubernetes
# reaches the server's shutdown handler: readiness fails, in-flight requests finish, then it exits.
CMD ["node", "--import", "./runtime/typescript.mjs", "server/main.ts"]
