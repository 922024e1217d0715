#!/usr/bin/env bash
# Runs Apache Kafka in KRaft mode from the official jars: one node, or a cluster of N nodes on this machine,
# each node a broker and a controller (a static quorum of all N).
# Usage: deploy/kafka/kafka.sh install|start|wait|stop|kill [NODE]|start-node NODE|status|logs [NODE]|bootstrap
# Env: CRM_KAFKA_BROKERS (1; 3 gives a cluster that survives losing a node), CRM_KAFKA_PORT (9092: node 1's
#      broker port; node i listens on PORT+2(i-1)), CRM_KAFKA_CONTROLLER_PORT (9093: node i's is +2(i-1)),
#      CRM_KAFKA_DATA (var/kafka), CRM_KAFKA_HEAP (1g per node; 512m is enough on a 2-core machine).
#      The jars are resolved from Maven Central into var/kafka-libs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
brokers=${CRM_KAFKA_BROKERS:-1}
port=${CRM_KAFKA_PORT:-9092}
cport=${CRM_KAFKA_CONTROLLER_PORT:-9093}
data=${CRM_KAFKA_DATA:-$root/var/kafka}
libs=$root/var/kafka-libs
heap=${CRM_KAFKA_HEAP:-1g}
replicas=$(( brokers < 3 ? brokers : 3 ))
min_isr=$(( replicas > 1 ? replicas - 1 : 1 ))

# Node i's folder: the single node keeps the layout it always had (var/kafka), a cluster one folder per node.
node_dir() { if [ "$brokers" = 1 ]; then echo "$data"; else echo "$data/node$1"; fi; }
node_port() { echo $(( port + 2 * ($1 - 1) )); }
node_cport() { echo $(( cport + 2 * ($1 - 1) )); }
pidfile() { echo "$(node_dir "$1")/kafka.pid"; }

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

running() { local f; f=$(pidfile "$1"); [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

voters() {
  local v="" i
  for i in $(seq 1 "$brokers"); do v="${v:+$v,}$i@127.0.0.1:$(node_cport "$i")"; done
  echo "$v"
}

bootstrap() {
  local b="" i
  for i in $(seq 1 "$brokers"); do b="${b:+$b,}127.0.0.1:$(node_port "$i")"; done
  echo "$b"
}

write_props() {
  local i=$1 dir p c quorum
  dir=$(node_dir "$i"); p=$(node_port "$i"); c=$(node_cport "$i")
  if [ "$brokers" = 1 ]; then
    quorum="controller.quorum.bootstrap.servers=127.0.0.1:$c"
  else
    quorum="controller.quorum.voters=$(voters)"
  fi
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$i
$quorum
listeners=PLAINTEXT://127.0.0.1:$p,CONTROLLER://127.0.0.1:$c
advertised.listeners=PLAINTEXT://127.0.0.1:$p
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/logs
num.partitions=6
auto.create.topics.enable=false
default.replication.factor=$replicas
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$replicas
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$replicas
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
}

start_node() {
  local i=$1 dir
  dir=$(node_dir "$i")
  if running "$i"; then echo "kafka node $i already running (pid $(cat "$(pidfile "$i")"))"; return; fi
  mkdir -p "$dir/logs"
  write_props "$i"
  if [ ! -f "$dir/logs/meta.properties" ]; then
    if [ "$brokers" = 1 ]; then
      java_run kafka.tools.StorageTool format --standalone --cluster-id="$(cluster_id)" -c "$dir/server.properties" >/dev/null
    else
      java_run kafka.tools.StorageTool format --cluster-id="$(cluster_id)" -c "$dir/server.properties" >/dev/null
    fi
  fi
  nohup java -Xms256m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.yaml" -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/kafka.out" 2>&1 &
  echo $! >"$(pidfile "$i")"
  echo "kafka node $i starting on 127.0.0.1:$(node_port "$i") (pid $!, data $dir)"
}

# One cluster id for every node of this data folder, made once.
cluster_id() {
  mkdir -p "$data"
  if [ ! -s "$data/cluster.id" ]; then java_run kafka.tools.StorageTool random-uuid | tail -n 1 >"$data/cluster.id"; fi
  cat "$data/cluster.id"
}

start() {
  install
  local i
  for i in $(seq 1 "$brokers"); do start_node "$i"; done
}

stop_node() {
  local i=$1 pid
  if running "$i"; then
    pid=$(cat "$(pidfile "$i")")
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    echo "kafka node $i stopped"
  fi
  rm -f "$(pidfile "$i")"
}

stop() {
  local i
  for i in $(seq "$brokers" -1 1); do stop_node "$i"; done
}

kill_nodes() {
  local i
  for i in "$@"; do
    if running "$i"; then kill -9 "$(cat "$(pidfile "$i")")"; fi
    rm -f "$(pidfile "$i")"
  done
}

status() {
  local i down=0
  for i in $(seq 1 "$brokers"); do
    if running "$i"; then echo "node $i running (pid $(cat "$(pidfile "$i")"))"; else echo "node $i stopped"; down=1; fi
  done
  if [ "$brokers" = 1 ] && [ $down = 0 ]; then echo "running (pid $(cat "$(pidfile 1)"))"; fi
  return $down
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  start-node) install; start_node "${2:?node number}" ;;
  stop) stop ;;
  stop-node) stop_node "${2:?node number}" ;;
  kill) if [ -n "${2:-}" ]; then kill_nodes "$2"; else kill_nodes $(seq 1 "$brokers"); fi ;;
  wait) CRM_KAFKA_BOOTSTRAP=${CRM_KAFKA_BOOTSTRAP:-$(bootstrap)} uv run --project "$root" crm kafka wait ;;
  status) status ;;
  bootstrap) bootstrap ;;
  logs) tail -n 100 "$(node_dir "${2:-1}")/kafka.out" ;;
  *) echo "usage: $0 install|start|start-node N|stop|stop-node N|kill [N]|wait|status|bootstrap|logs [N]" >&2; exit 2 ;;
esac
