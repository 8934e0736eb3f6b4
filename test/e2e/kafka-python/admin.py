"""kafka-python's admin client: {"create": [{name, partitions, configs}]} creates topics (CreateTopics),
{"groupOffsets": group} lists a group's committed offsets (OffsetFetch)."""
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from common import connection, main


def admin(j):
    client = KafkaAdminClient(**connection(j))
    try:
        if 'create' in j:
            topics = [NewTopic(t['name'], t['partitions'], 1, topic_configs=t.get('configs', {})) for t in j['create']]
            response = client.create_topics(topics)
            return {'topics': [{'name': name, 'errorCode': code, 'errorMessage': message} for name, code, message in response.topic_errors]}
        offsets = client.list_consumer_group_offsets(j['groupOffsets'])
        return {'offsets': {str(tp.partition): meta.offset for tp, meta in offsets.items()}}
    finally:
        client.close()


main(admin)
