// The HTTP library client-node's generated APIs send through (its configuration's `httpApi`),
// on undici's request() instead of its fetch(). fetch() builds WHATWG Request, Headers and
// stream objects around every call: on the same dispatcher it cost about 200-370 us more CPU per
// call than request() (a PUT of a 2 KB status, scratch measure), and the controller makes a
// status write per run. Watches keep client-node's own fetch (one long call each).
//
// What callers see stays fetch's: a failure before any answer is a TypeError 'fetch failed' with
// the cause, an abort rejects with the signal's reason, and the body is read whole, as the
// generated code reads every body it gets.
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import {
  ResponseContext,
  wrapHttpLibrary,
  type HttpLibrary,
  type PromiseHttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';
import { request, type Dispatcher } from 'undici';

export class UndiciHttpLibrary implements PromiseHttpLibrary {
  async send(context: RequestContext): Promise<ResponseContext> {
    const signal = context.getSignal();
    const body = context.getBody();
    let bytes: Buffer;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(context.getUrl(), {
        method: context.getHttpMethod() as Dispatcher.HttpMethod,
        headers: context.getHeaders(),
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : bodyText(body) }),
        ...(signal === undefined ? {} : { signal }),
        ...(context.getDispatcher() === undefined ? {} : { dispatcher: context.getDispatcher() }),
      });
      bytes = Buffer.from(await response.body.arrayBuffer());
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new TypeError('fetch failed', { cause: err });
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return new ResponseContext(response.statusCode, headers, {
      text: () => Promise.resolve(bytes.toString('utf8')),
      binary: () => Promise.resolve(bytes),
      stream: () => Readable.toWeb(Readable.from([bytes])) as unknown as ReadableStream<Uint8Array>,
    });
  }
}

/** Form bodies, which no API we call sends: as fetch would encode a URLSearchParams. */
function bodyText(body: Exclude<ReturnType<RequestContext['getBody']>, string | undefined>): string {
  if (body instanceof URLSearchParams) return body.toString();
  throw new TypeError('UndiciHttpLibrary: form-data request bodies are not supported');
}

/** The library in the shape client-node's configuration takes. */
export function undiciHttpApi(): HttpLibrary {
  return wrapHttpLibrary(new UndiciHttpLibrary());
}
