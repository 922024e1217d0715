#!/usr/bin/env bash
# Runs one Apache Kafka KRaft node (broker + controller) from the official jars.
# Usage: deploy/kafka/kafka.sh install|start|wait|stop|kill|status|logs
# Env: CRM_KAFKA_PORT (9092), CRM_KAFKA_CONTROLLER_PORT (9093), CRM_KAFKA_DATA (var/kafka),
#      CRM_KAFKA_HEAP (1g). The jars are resolved from Maven Central into var/kafka-libs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${CRM_KAFKA_PORT:-9092}
cport=${CRM_KAFKA_CONTROLLER_PORT:-9093}
data=${CRM_KAFKA_DATA:-$root/var/kafka}
libs=$root/var/kafka-libs
heap=${CRM_KAFKA_HEAP:-1g}
pidfile=$data/kafka.pid
props=$data/server.properties

install() {
  if [ -f "$libs/.complete" ]; then return; fi
  command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; }
  command -v mvn >/dev/null || { apt-get update -qq && apt-get install -y -qq maven; }
  rm -rf "$libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime
  touch "$libs/.complete"
}

java_run() {
  java -Xms256m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.yaml" -cp "$libs/*" "$@"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  install
  if running; then echo "kafka already running (pid $(cat "$pidfile"))"; return; fi
  mkdir -p "$data/logs"
  cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data/logs
num.partitions=6
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
  if [ ! -f "$data/logs/meta.properties" ]; then
    id=$(java_run kafka.tools.StorageTool random-uuid | tail -n 1)
    java_run kafka.tools.StorageTool format --standalone -t "$id" -c "$props" >/dev/null
  fi
  nohup java -Xms256m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.yaml" -cp "$libs/*" kafka.Kafka "$props" \
    >"$data/kafka.out" 2>&1 &
  echo $! >"$pidfile"
  echo "kafka starting on 127.0.0.1:$port (pid $!, data $data)"
}

stop() {
  if running; then
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    echo "kafka stopped"
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  kill) running && kill -9 "$(cat "$pidfile")"; rm -f "$pidfile" ;;
  wait) CRM_KAFKA_BOOTSTRAP=${CRM_KAFKA_BOOTSTRAP:-127.0.0.1:$port} uv run --project "$root" crm kafka wait ;;
  status) if running; then echo "running (pid $(cat "$pidfile"))"; else echo "stopped"; exit 1; fi ;;
  logs) tail -n 100 "$data/kafka.out" ;;
  *) echo "usage: $0 install|start|wait|stop|kill|status|logs" >&2; exit 2 ;;
esac
