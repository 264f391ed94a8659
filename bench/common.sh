# Sourced by the bench scripts: builds what they run and runs one benchmark class.
# BENCH_SKIP_BUILD=1 reuses target/ as it is (bench/run-all builds once, then sets it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bench_build() {
  if [ "${BENCH_SKIP_BUILD:-0}" = 1 ] && [ -f target/bench.classpath ] && [ -f target/quarkus-app/moratorium-service-runner.jar ]; then
    # an archive older than the jar would be ignored without a word (the JVM checks the jar's time)
    [ -f target/quarkus-app/app-cds.classlist ] || bench_record_class_list
    [ target/quarkus-app/app-cds.jsa -nt target/quarkus-app/moratorium-service-runner.jar ] || bench_cds_archive
    return
  fi
  echo "building: ./mvnw -B -q package -DskipTests (the packaged service and the benchmark classes)" >&2
  ./mvnw -B -q package -DskipTests >&2
  bench_classpath
  bench_record_class_list
  bench_cds_archive
}

bench_classpath() {
  ./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
}

# The class list of the start-up archive: a real run of the packaged service (ClassListRecorder).
bench_record_class_list() {
  echo "recording the start-up archive's class list (a real run of the packaged service)" >&2
  java -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" dev.moratorium.bench.ClassListRecorder >&2
}

# The start-up archive the image makes (docker/Dockerfile.jvm, the same command), here with this
# JDK. BenchService points the deployment's -XX:SharedArchiveFile=/deployments/app-cds.jsa at it.
# The class path is written as BenchService writes it (-jar target/quarkus-app/...): the JVM maps
# the archive only for the class path it was made with.
bench_cds_archive() {
  rm -f target/quarkus-app/app-cds.jsa
  java -Xshare:dump -XX:SharedClassListFile=target/quarkus-app/app-cds.classlist \
    -XX:SharedArchiveFile=target/quarkus-app/app-cds.jsa -Xlog:cds=error \
    -cp target/quarkus-app/moratorium-service-runner.jar >&2
  echo "start-up archive: target/quarkus-app/app-cds.jsa ($(du -m target/quarkus-app/app-cds.jsa | cut -f1) MB)" >&2
}

bench_need_wrk() {
  if ! command -v wrk >/dev/null; then
    echo "installing wrk (Debian package)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
  fi
}

# The service's JVM options: SERVICE_JAVA_OPTS, else the Kubernetes deployment's
# (GC_CONTAINER_OPTIONS and JAVA_OPTS_APPEND of k8s/base/deployment.yaml, less -Dquarkus.http.host;
# BenchService reads the same when SERVICE_JAVA_OPTS is unset).
bench_service_opts() {
  if [ -n "${SERVICE_JAVA_OPTS+x}" ]; then
    echo "$SERVICE_JAVA_OPTS"
    return
  fi
  local v
  v=$(for n in GC_CONTAINER_OPTIONS JAVA_OPTS_APPEND; do
    grep -A1 -- "- name: $n\$" k8s/base/deployment.yaml | sed -n 's/^ *value: "\(.*\)"$/\1/p'
  done | tr '\n' ' ')
  echo "$v" | tr ' ' '\n' | grep -v '^-Dquarkus.http.host=' | grep -v '^$' | tr '\n' ' ' | sed 's/ $//'
}

# bench_run CLASS [-Dname=value ...]: the figures, then one JSON line, last.
bench_run() {
  local class=$1
  shift
  echo "uptime: $(uptime)"
  echo "service JVM options: $(bench_service_opts)${BENCH_PROFILE:+ (+ JFR recording)}"
  # BENCH_JVM_OPTS: more options for the bench JVM (it hosts the brokers), e.g. -Xlog:gc:file=...
  # shellcheck disable=SC2086
  java -Xmx2g -XX:+UseParallelGC ${BENCH_JVM_OPTS:-} "$@" \
    -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" "dev.moratorium.bench.$class"
}
