"""A KafkaProducer sends the job's records (base64 keys, values and header values; optional partition
and timestamp) with its compression type and flushes; prints where each landed."""
from kafka import KafkaProducer

from common import connection, main, unb64


def produce(j):
    producer = KafkaProducer(compression_type=j.get('compression'), linger_ms=j.get('lingerMs', 0),
                             max_block_ms=10000, retries=0, **connection(j))
    try:
        futures = [producer.send(
            r['topic'], key=unb64(r.get('key')), value=unb64(r.get('value')), partition=r.get('partition'),
            timestamp_ms=r.get('timestamp'), headers=[(k, unb64(v)) for k, v in r.get('headers', [])],
        ) for r in j['records']]
        producer.flush()
        sent = [f.get(timeout=10) for f in futures]
        return {'results': [{'partition': m.partition, 'offset': m.offset} for m in sent]}
    finally:
        producer.close(timeout=5)


main(produce)
