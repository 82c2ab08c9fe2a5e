// The grpc-message encoding (catalogue CL-10): the spec's grammar, and readable by every decoder in use.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { encodeGrpcMessage } from '../../src/rpc/grpc-message.ts';

// PROTOCOL-HTTP2.md, "Status-Message": Percent-Byte-Unencoded / "%" 2HEXDIGIT (0-9 A-F).
const STATUS_MESSAGE = /^(?:[\x20-\x24\x26-\x7e]|%[0-9A-F]{2})*$/;

describe('grpc-message encoding', () => {
  test('CL-10: printable ASCII other than % travels as it is; everything else as %XX of its UTF-8 bytes', () => {
    assert.equal(encodeGrpcMessage('unknown or expired login; run robot login again'), 'unknown or expired login; run robot login again');
    assert.equal(encodeGrpcMessage('a, b/c?d:e@f&g=h+i$j#k'), 'a, b/c?d:e@f&g=h+i$j#k');
    assert.equal(encodeGrpcMessage('100% café\r\n'), '100%25 caf%C3%A9%0D%0A');
    assert.equal(encodeGrpcMessage('😀'), '%F0%9F%98%80');
  });

  test('CL-10: any text matches the grammar; decodeURI (grpc-js) and decodeURIComponent (Connect) read it back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const encoded = encodeGrpcMessage(text);
        assert.match(encoded, STATUS_MESSAGE);
        assert.equal(decodeURI(encoded), text);
        assert.equal(decodeURIComponent(encoded), text);
      }),
      { numRuns: 2_000 },
    );
  });
});
