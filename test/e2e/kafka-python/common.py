"""What the kafka-python scripts share: the job (JSON, the first argument), connection settings,
binary values as base64 in JSON, and one JSON line out: the result, or the error kafka-python raised."""
import base64
import json
import sys
import traceback


def job():
    return json.loads(sys.argv[1])


def connection(j):
    """KafkaProducer/KafkaConsumer/KafkaAdminClient keyword arguments for the job's broker, SASL and
    TLS ({"caFile": the server certificate to trust})."""
    kw = {'bootstrap_servers': j['bootstrap'], 'request_timeout_ms': 10000, 'api_version_auto_timeout_ms': 5000}
    sasl = j.get('sasl')
    tls = j.get('tls')
    kw['security_protocol'] = ('SASL_' if sasl else '') + ('SSL' if tls else 'PLAINTEXT')
    if sasl:
        kw.update(sasl_mechanism='PLAIN', sasl_plain_username=sasl['username'], sasl_plain_password=sasl['password'])
    if tls:
        kw['ssl_cafile'] = tls['caFile']
    return kw


def unb64(s):
    return None if s is None else base64.b64decode(s)


def b64(b):
    return None if b is None else base64.b64encode(b).decode('ascii')


def record_json(m):
    """A consumed record as the tests compare it."""
    return {
        'partition': m.partition, 'offset': m.offset, 'timestamp': m.timestamp,
        'key': b64(m.key), 'value': b64(m.value),
        'headers': [[k, b64(v)] for k, v in m.headers],
    }


def emit(obj):
    print(json.dumps(obj), flush=True)


def main(fn):
    try:
        emit(fn(job()))
    except Exception as e:  # the tests assert on what kafka-python raised
        traceback.print_exc()
        emit({'error': {'type': type(e).__name__, 'message': str(e)}})
        sys.exit(2)
