/** SaslHandshake (key 17): pick a mechanism; v1 means the SASL bytes follow in SaslAuthenticate. */
import { api, array, message, type RequestOf, type ResponseOf } from '../schema.js';

export const saslHandshake = api(17, 'SaslHandshake',
  message('SaslHandshakeRequest', '0-1', 'none', [
    { name: 'mechanism', type: 'string', versions: '0+' },
  ]),
  message('SaslHandshakeResponse', '0-1', 'none', [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'mechanisms', type: array('string'), versions: '0+' },
  ]),
);

export type SaslHandshakeRequest = RequestOf<typeof saslHandshake>;
export type SaslHandshakeResponse = ResponseOf<typeof saslHandshake>;
