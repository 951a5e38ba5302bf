# grader-ex-<slug> for the sql runner: like Dockerfile beside this one, plus
# the exercise's template cluster at /opt/grader/pgdata (postgres, 0700):
# initdb'd, loaded from data/schema.sql and data/<dataset>.sql, the reference
# solution's indexes built in reference_<dataset>, VACUUM (FREEZE, ANALYZE)d
# (sandbox/harness/grader_harness/sql/cluster.py), and the tests compiled as
# in Dockerfile. The build runs with network none, so the base image must
# already have Debian's postgresql-15 (the offline base does; for a registry
# base see docs/authoring.md section 13).
ARG RUNTIME_IMAGE
FROM ${RUNTIME_IMAGE}
COPY grader/ /grader/
ARG SQL_OPTIONS
# One RUN (one build container, one layer) for both steps.
RUN (umask 077 && python -m grader_harness.precompile /grader/tests /grader/public_tests) \
 && python -m grader_harness.sql.cluster /grader/data /grader/reference /opt/grader/pgdata \
        "$SQL_OPTIONS"
