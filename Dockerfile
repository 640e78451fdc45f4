# One image for both processes: `npm start` (server) and `npm run worker`.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --omit=dev
COPY . .
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
EXPOSE 3000
# node itself is PID 1 (no npm/sh wrapper), so `docker stop` reaches its shutdown handler.
CMD ["node", "--import", "./runtime/typescript.mjs", "server/main.ts"]
