#!/usr/bin/env bash
# Writes server.properties from the environment, formats the storage once, and runs the broker in the foreground.
# Env: KAFKA_NODE_ID (1), KAFKA_VOTERS ("1@kafka-1:9093,2@kafka-2:9093,..."; empty = one standalone node),
#      KAFKA_ADVERTISED (host:port clients use; default <hostname>:9092), KAFKA_CLUSTER_ID (the same on every
#      node; generated for a standalone node), KAFKA_REPLICAS (replication factor: min(3, voters)),
#      KAFKA_HEAP (512m), KAFKA_PARTITIONS (6).
set -euo pipefail
node=${KAFKA_NODE_ID:-1}
voters=${KAFKA_VOTERS:-}
advertised=${KAFKA_ADVERTISED:-$(hostname):9092}
data=/var/lib/kafka
if [ -n "$voters" ]; then n=$(tr ',' '\n' <<<"$voters" | wc -l); else n=1; fi
replicas=${KAFKA_REPLICAS:-$(( n < 3 ? n : 3 ))}
min_isr=$(( replicas > 1 ? replicas - 1 : 1 ))
java_opts=(-Xms256m "-Xmx${KAFKA_HEAP:-512m}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
           -Dlog4j2.configurationFile=/opt/kafka/log4j2.yaml -cp '/opt/kafka/libs/*')
if [ -n "$voters" ]; then quorum="controller.quorum.voters=$voters"
else quorum="controller.quorum.bootstrap.servers=127.0.0.1:9093"; fi
mkdir -p "$data/logs"
cat >"$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=$node
$quorum
listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093
advertised.listeners=PLAINTEXT://$advertised
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data/logs
num.partitions=${KAFKA_PARTITIONS:-6}
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
if [ ! -f "$data/logs/meta.properties" ]; then
  if [ -n "$voters" ]; then
    : "${KAFKA_CLUSTER_ID:?KAFKA_CLUSTER_ID must be the same on every node of a cluster}"
    java "${java_opts[@]}" kafka.tools.StorageTool format --cluster-id="$KAFKA_CLUSTER_ID" -c "$data/server.properties"
  else
    id=${KAFKA_CLUSTER_ID:-$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid | tail -n 1)}
    java "${java_opts[@]}" kafka.tools.StorageTool format --standalone --cluster-id="$id" -c "$data/server.properties"
  fi
fi
exec java "${java_opts[@]}" kafka.Kafka "$data/server.properties"
