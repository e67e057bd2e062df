# vibeopt workers (CPU and GPU). The GPU image needs the trainer's Python environment too: build
# FROM an image with CUDA + the VibeVoice fork installed and copy this project in, or set
# VIBEOPT_BASE_IMAGE to one (see README, "Several GPU hosts").
ARG VIBEOPT_BASE_IMAGE=node:20-bookworm-slim
FROM ${VIBEOPT_BASE_IMAGE}
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
ENTRYPOINT ["node", "--import", "tsx", "src/cli/main.ts"]
CMD ["worker", "--queue", "cpu"]
