import { KafkaError } from '../../protocol/error-codes.js';
import { servedApiVersions } from '../../protocol/registry.js';
import type { Handler } from './handler.js';

export const apiVersions: Handler<18> = async () => ({ errorCode: KafkaError.NONE, apiKeys: servedApiVersions(), throttleTimeMs: 0 });
