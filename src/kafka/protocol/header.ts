/**
 * Request and response headers, and which header version an API version travels with.
 *
 *   request header v1:  requestApiKey int16, requestApiVersion int16, correlationId int32,
 *                       clientId nullable string (int16 length, even in flexible versions)
 *   request header v2:  v1 + a tagged-field section            (flexible API versions)
 *   response header v0: correlationId int32
 *   response header v1: v0 + a tagged-field section            (flexible API versions)
 *
 * The exception clients depend on: an ApiVersions response always has header v0, even at v3, so a
 * client that does not yet know which versions the broker speaks can read its correlation id.
 * (Request header v0, without clientId, is used only by ControlledShutdown v0, which we do not serve.)
 */
import { isFlexible } from './codec.js';
import { message, type ApiSpec, type Decoded } from './schema.js';

export const REQUEST_HEADER = message('RequestHeader', '1-2', '2+', [
  { name: 'requestApiKey', type: 'int16', versions: '0+' },
  { name: 'requestApiVersion', type: 'int16', versions: '0+' },
  { name: 'correlationId', type: 'int32', versions: '0+' },
  { name: 'clientId', type: 'string', versions: '1+', nullable: '1+', flexible: 'none' },
]);

export const RESPONSE_HEADER = message('ResponseHeader', '0-1', '1+', [
  { name: 'correlationId', type: 'int32', versions: '0+' },
]);

export type RequestHeader = Decoded<typeof REQUEST_HEADER.fields>;

export const API_VERSIONS_KEY = 18;

/** The header version of a request for this API version: 2 when the API version is flexible. */
export function requestHeaderVersion(spec: ApiSpec, apiVersion: number): number {
  return isFlexible(spec.request, apiVersion) ? 2 : 1;
}

export function responseHeaderVersion(spec: ApiSpec, apiVersion: number): number {
  if (spec.apiKey === API_VERSIONS_KEY) return 0;
  return isFlexible(spec.response, apiVersion) ? 1 : 0;
}
