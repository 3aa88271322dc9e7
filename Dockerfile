# One image for both processes: the API is the default command, the worker service overrides it.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# tsx is a runtime dependency (it runs the TypeScript sources directly), so production dependencies are enough.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY config ./config
COPY store ./store
COPY scripts ./scripts

# Workers load this prebuilt bundle (WORKFLOW_BUNDLE_PATH) instead of bundling the workflows at every start; the
# script also writes dist/workflow-bundle.traced.js, which a worker with tracing on loads instead.
RUN npx tsx scripts/bundle-workflows.ts dist/workflow-bundle.js

USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/main.ts"]
