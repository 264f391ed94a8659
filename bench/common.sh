# Sourced by the bench scripts: builds what they run and runs one benchmark class.
# BENCH_SKIP_BUILD=1 reuses target/ as it is (bench/run-all builds once, then sets it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bench_build() {
  if [ "${BENCH_SKIP_BUILD:-0}" = 1 ] && [ -f target/bench.classpath ] && [ -f target/quarkus-app/quarkus-run.jar ]; then
    return
  fi
  echo "building: ./mvnw -B -q package -DskipTests (the packaged service and the benchmark classes)" >&2
  ./mvnw -B -q package -DskipTests >&2
  ./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
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
  java -Xmx2g -XX:+UseParallelGC "$@" \
    -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" "dev.moratorium.bench.$class"
}
