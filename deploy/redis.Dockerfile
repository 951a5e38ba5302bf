# Redis from Debian's redis-server, for sites that cannot pull the official
# redis image (deploy/compose.offline.yml builds it). It behaves as compose
# uses redis:7: `redis-server ARGS...` as the command, data in /data, and
# redis-cli reads the password from REDISCLI_AUTH for the health check.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

# policy-rc.d: the package's postinst must not start a server during the build.
RUN set -eu; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      redis-server redis-tools; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin; \
    mkdir -p /data; chown redis:redis /data

# Without a config file redis-server listens on every address (protected mode
# stays off only because compose always sets --requirepass) and writes its
# append-only file in the working directory.
WORKDIR /data
VOLUME /data
USER redis
EXPOSE 6379
CMD ["redis-server"]
