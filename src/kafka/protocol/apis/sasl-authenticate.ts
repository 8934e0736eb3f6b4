/** SaslAuthenticate (key 36): one round of SASL bytes. */
import { api, message, type RequestOf, type ResponseOf } from '../schema.js';

export const saslAuthenticate = api(36, 'SaslAuthenticate',
  message('SaslAuthenticateRequest', '0-1', '2+', [
    { name: 'authBytes', type: 'bytes', versions: '0+' },
  ]),
  message('SaslAuthenticateResponse', '0-1', '2+', [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullable: '0+' },
    { name: 'authBytes', type: 'bytes', versions: '0+' },
    { name: 'sessionLifetimeMs', type: 'int64', versions: '1+', default: 0 },
  ]),
);

export type SaslAuthenticateRequest = RequestOf<typeof saslAuthenticate>;
export type SaslAuthenticateResponse = ResponseOf<typeof saslAuthenticate>;
