# PostgreSQL 15 from Debian, for sites that cannot pull the official postgres
# image (deploy/compose.offline.yml builds it). It takes the same settings as
# compose gives postgres:15: POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB
# make the cluster on first start, data in /var/lib/postgresql/data, PGPORT
# moves the port, `postgres -c NAME=VALUE...` as the command.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

# The offline base has postgresql-15 already (the sql runner's server); any
# other base gets it from Debian. Debian's package makes a "main" cluster of
# its own: not ours, dropped.
RUN set -eu; \
    if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then \
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; \
      apt-get update -qq; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15; \
      rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin; \
    fi; \
    rm -rf /var/lib/postgresql/15/main /etc/postgresql/15/main; \
    mkdir -p /var/lib/postgresql/data /var/run/postgresql; \
    chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql; \
    chmod 0700 /var/lib/postgresql/data

COPY deploy/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
VOLUME /var/lib/postgresql/data
USER postgres
EXPOSE 5432
# A fast shutdown (rolls back open transactions) instead of waiting for clients.
STOPSIGNAL SIGINT
# Through sh: the script needs no execute bit (a checkout may not keep it).
ENTRYPOINT ["/bin/sh", "/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
