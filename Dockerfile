# lanlb: one image for `lanlb controller` and `lanlb announcer`.
# Node 22: the LTS line maintained until April 2027 (Node 20 reached end of life in April 2026),
# the smallest step from the Node 20 that development and CI machines run; the code needs >= 20.
# Build stage: compiles TypeScript and the libpcap addon (node_pcap) against Debian's libpcap-dev.
FROM node:22-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpcap-dev python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# lanlb's fork of node_pcap (built by npm ci with node-gyp; packages/pcap/README.md says what
# changed and why) and client-node's reviewed patch (patch-package, postinstall).
COPY packages/pcap packages/pcap
COPY patches patches
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY generated generated
COPY bin bin
COPY crds crds
# The test and lab harness is not part of the product.
RUN npm run build && rm -rf dist/src/devcluster dist/src/lab && npm prune --omit=dev

# Runtime stage: the libpcap runtime (not the headers) and iproute2 (all-multicast), no compilers.
FROM node:22-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpcap0.8 iproute2 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/dist dist
COPY --from=build /app/bin bin
COPY --from=build /app/crds crds
# `lanlb` and the kubectl plugin `kubectl-lanlb` (`kubectl lanlb status`) on PATH.
RUN ln -s /app/bin/lanlb.js /usr/local/bin/lanlb && ln -s /app/bin/kubectl-lanlb.js /usr/local/bin/kubectl-lanlb
# The controller runs as this user; the announcer's DaemonSet sets uid 0 with only NET_RAW.
USER 65532:65532
# --optimize-for-size: V8 grows its heap in smaller steps. Measured with 50,000 Services (npm run
# bench -- --only memory, LANLB_BENCH_NODE_FLAGS=none for the other side), before client-node's
# generated APIs were left unloaded: announcer 224 -> 136 MiB, controller 224 -> 151 MiB; caches
# sync about twice as slowly; ARP answer times unchanged within the noise (l2-answer). Current
# numbers: docs/benchmarks.md. hack/build-image.sh and the memory benchmark read this line.
ENTRYPOINT ["node", "--optimize-for-size", "/app/bin/lanlb.js"]
CMD ["--help"]
