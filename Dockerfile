# One image for both processes: the API is the default command, the worker service overrides it.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# The dependencies first, from the manifest and its lock alone, so that a change to the sources reuses this layer.
# tsx is a runtime dependency (it runs the TypeScript sources directly), so production dependencies are enough.
# npm's cache is a build cache mount: it speeds up the next build and stays out of the image.
# patches/ goes with them: npm ci's postinstall applies it to the installed Temporal SDK (patches/README.md).
COPY package.json package-lock.json ./
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# The whole build context: .dockerignore says what stays out, so a new source folder cannot be forgotten.
COPY . .

# Workers load this prebuilt bundle (WORKFLOW_BUNDLE_PATH) instead of bundling the workflows at every start; the
# script also writes dist/workflow-bundle.traced.js, which a worker with tracing on loads instead.
RUN npx tsx scripts/bundle-workflows.ts dist/workflow-bundle.js

USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/main.ts"]
