/// <reference lib="webworker" />
/**
 * The imaging worker: decodes one file per request with `decodeImageBytes` and transfers the
 * pixels back. The page terminates it if a decode runs past its time limit.
 */

import { decodeImageBytes, type DecodeRequest, type DecodeResponse } from './decode';
import { ImageInputError } from './errors';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (e: MessageEvent<DecodeRequest>) => {
  const { id, bytes, name, opts } = e.data;
  let msg: DecodeResponse;
  try {
    const image = await decodeImageBytes(new Uint8Array(bytes), name, opts);
    const data = image.pixels.data;
    scope.postMessage({ id, ok: true, image } satisfies DecodeResponse, [data.buffer as ArrayBuffer]);
    return;
  } catch (err) {
    msg =
      err instanceof ImageInputError
        ? { id, ok: false, code: err.code, detail: err.detail }
        : { id, ok: false, code: 'decode-failed', detail: String(err).slice(0, 160) };
  }
  scope.postMessage(msg);
};
