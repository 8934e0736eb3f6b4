"""A KafkaConsumer without a group reads the job's partitions to their end, from the beginning, from
given offsets ({"offsets": {partition: offset}}) or from a time ({"timestamp": ms}, through
offsets_for_times, whose answer is printed too)."""
from kafka import KafkaConsumer, TopicPartition

from common import connection, main, record_json


def consume(j):
    consumer = KafkaConsumer(enable_auto_commit=False, consumer_timeout_ms=10000, **connection(j))
    try:
        parts = [TopicPartition(j['topic'], p) for p in j['partitions']]
        consumer.assign(parts)
        end = consumer.end_offsets(parts)
        found = None
        if 'offsets' in j:
            for tp in parts:
                consumer.seek(tp, j['offsets'][str(tp.partition)])
        elif 'timestamp' in j:
            found = consumer.offsets_for_times({tp: j['timestamp'] for tp in parts})
            for tp in parts:
                consumer.seek(tp, found[tp].offset if found[tp] else end[tp])
        else:
            consumer.seek_to_beginning(*parts)
        records = []
        while any(consumer.position(tp) < end[tp] for tp in parts):
            batch = consumer.poll(timeout_ms=5000)
            if not batch:
                raise TimeoutError('no records within 5 s before the end offsets %s' % {tp.partition: o for tp, o in end.items()})
            for messages in batch.values():
                records.extend(record_json(m) for m in messages)
        out = {'records': records, 'endOffsets': {str(tp.partition): o for tp, o in end.items()}}
        if found is not None:
            out['offsetsForTimes'] = {str(tp.partition): None if f is None else {'offset': f.offset, 'timestamp': f.timestamp} for tp, f in found.items()}
        return out
    finally:
        consumer.close()


main(consume)
