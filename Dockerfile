# The flashsale system image: one image, one role per container (see docker-compose.yml).
# Node 24 is the Active LTS line (supported until April 2028). The build stage compiles the
# TypeScript (npm run build -> dist/); the final stage holds the compiled JavaScript and the
# production dependencies only (no tsx, TypeScript, test runner or load generator), and runs
# as the unprivileged `node` user. Tests, bench and docs never enter the build context
# (.dockerignore).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY cli cli
COPY stack stack
COPY platform platform
COPY schemas schemas
COPY domain domain
COPY producers producers
COPY consumers consumers
COPY projections projections
COPY writeModel writeModel
COPY runtime runtime
COPY demo demo
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin bin
COPY --from=build /app/dist dist
# The dashboard's page, script and styles are read from the package root at start (tsc copies only .ts output).
COPY producers/http/operators/dashboard producers/http/operators/dashboard
USER node
# The operations port (/metrics, /healthz, /readyz) of every role; the api's HTTP port is PORT.
EXPOSE 3000 9464
ENTRYPOINT ["node", "bin/flashsale.js"]
CMD ["start"]
