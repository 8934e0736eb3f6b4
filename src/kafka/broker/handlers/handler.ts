import type { DecodedRequest } from '../../protocol/frame.js';
import type { ApiSpecs, ServedApiKey } from '../../protocol/registry.js';
import type { ResponseOf } from '../../protocol/schema.js';
import type { BrokerContext } from '../context.js';
import type { KafkaConnection } from '../listener.js';

/** One API's handler: the decoded request in, the response body out (null: no response, acks=0). */
export type Handler<K extends ServedApiKey> = (
  ctx: BrokerContext,
  conn: KafkaConnection,
  request: Extract<DecodedRequest, { apiKey: K }>,
) => Promise<ResponseOf<ApiSpecs[K]> | null>;
