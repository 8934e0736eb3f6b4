"""A consumer group member (kafka-python's default assignors, range and roundrobin) that prints one
JSON line per event: its assignment, each record, and each synchronous commit, which follows every
poll's records, so everything printed before a commit line is committed. Runs until killed."""
from kafka import ConsumerRebalanceListener, KafkaConsumer

from common import connection, emit, job


class Events(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        emit({'type': 'revoked', 'partitions': sorted(tp.partition for tp in revoked)})

    def on_partitions_assigned(self, assigned):
        emit({'type': 'assigned', 'partitions': sorted(tp.partition for tp in assigned)})


def member(j):
    consumer = KafkaConsumer(group_id=j['group'], enable_auto_commit=False, auto_offset_reset='earliest',
                             session_timeout_ms=6000, heartbeat_interval_ms=500, **connection(j))
    consumer.subscribe([j['topic']], listener=Events())
    while True:
        batch = consumer.poll(timeout_ms=200)
        if not batch:
            continue
        for messages in batch.values():
            for m in messages:
                emit({'type': 'record', 'partition': m.partition, 'offset': m.offset, 'value': m.value.decode()})
        consumer.commit()
        emit({'type': 'committed', 'offsets': {str(tp.partition): consumer.position(tp) for tp in batch}})


member(job())
