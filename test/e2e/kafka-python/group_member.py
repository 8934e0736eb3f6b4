"""A consumer group member (kafka-python's default assignors, range and roundrobin) that prints one
JSON line per event: its assignment, each record, and each synchronous commit, which follows every
poll's records, so everything printed before a commit line is committed (a commit refused because the
group is rebalancing is printed as such: those records are read again by the next owner). Runs until
killed."""
from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka.errors import CommitFailedError

from common import connection, emit, job


class Events(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        emit({'type': 'revoked', 'partitions': sorted(tp.partition for tp in revoked)})

    def on_partitions_assigned(self, assigned):
        emit({'type': 'assigned', 'partitions': sorted(tp.partition for tp in assigned)})


def member(j):
    # A JoinGroup may wait for the other members to rejoin: longer than one-shot clients' requests.
    kw = dict(connection(j), request_timeout_ms=30000)
    consumer = KafkaConsumer(group_id=j['group'], enable_auto_commit=False, auto_offset_reset='earliest',
                             session_timeout_ms=6000, heartbeat_interval_ms=500, **kw)
    consumer.subscribe([j['topic']], listener=Events())
    while True:
        batch = consumer.poll(timeout_ms=200)
        if not batch:
            continue
        for messages in batch.values():
            for m in messages:
                emit({'type': 'record', 'partition': m.partition, 'offset': m.offset, 'value': m.value.decode()})
        offsets = {str(tp.partition): consumer.position(tp) for tp in batch}
        try:
            consumer.commit()
            emit({'type': 'committed', 'offsets': offsets})
        except CommitFailedError as e:
            emit({'type': 'commitFailed', 'offsets': offsets, 'message': str(e)})


member(job())
