#!/usr/bin/python3
"""Writes the seed corpus of http2_server_fuzz: raw client byte streams (connection preface and
frames), built with hyperframe and hpack (Debian's python3-h2) so that the seeds are valid where
they mean to be and broken exactly where they mean to be.

    /usr/bin/python3 tests/fuzz/http2_server/make_corpus.py

rewrites the NN-name.bin seeds in tests/fuzz/http2_server/corpus/; the few inputs kept from
fuzzing runs (found-<sha1 prefix>, each adding coverage over the seeds) are left alone. The fuzzer picks its tiny limits when the last byte & 3 == 1, so a few seeds end
with such a byte on purpose (see `tiny`).
"""

import os
import struct

from hpack import Encoder
from hyperframe.frame import (ContinuationFrame, DataFrame, GoAwayFrame, HeadersFrame,
                              PingFrame, PriorityFrame, RstStreamFrame, SettingsFrame,
                              WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def raw(frame_type, flags, stream_id, payload=b""):
    """A frame exactly as given, for what hyperframe refuses to build."""
    length = len(payload)
    return (struct.pack(">I", length)[1:] + bytes([frame_type, flags]) +
            struct.pack(">I", stream_id & 0x7FFFFFFF) + payload)


def client_settings(**extra):
    settings = {SettingsFrame.ENABLE_PUSH: 0, SettingsFrame.INITIAL_WINDOW_SIZE: 65535}
    settings.update(extra)
    return PREFACE + SettingsFrame(0, settings=settings).serialize()


def settings_ack():
    return SettingsFrame(0, flags=["ACK"]).serialize()


def request(method="GET", path="/", authority="example.com", extra=()):
    return [(":method", method), (":scheme", "https"), (":authority", authority),
            (":path", path)] + list(extra)


def headers(encoder, stream_id, fields, end_stream=True, end_headers=True, priority=None,
            padded=None, **kw):
    frame = HeadersFrame(stream_id, **kw)
    frame.data = encoder.encode(fields)
    if priority is not None:
        frame.flags.add("PRIORITY")
        frame.depends_on, frame.stream_weight = priority
    if end_stream:
        frame.flags.add("END_STREAM")
    if end_headers:
        frame.flags.add("END_HEADERS")
    if padded is not None:
        frame.flags.add("PADDED")
        frame.pad_length = padded
    return frame.serialize()


def data(stream_id, payload, end_stream=False, pad_length=None):
    frame = DataFrame(stream_id, data=payload)
    if end_stream:
        frame.flags.add("END_STREAM")
    if pad_length is not None:
        frame.flags.add("PADDED")
        frame.pad_length = pad_length
    return frame.serialize()


def tiny(seed):
    """Ends the seed with a PING whose last byte & 3 == 1: the fuzzer's tiny limits."""
    return seed + PingFrame(0, opaque_data=b"tinylim\x01").serialize()


def seeds():
    out = {}

    e = Encoder()
    out["01-get"] = client_settings() + headers(
        e, 1, request(extra=[("accept", "*/*"), ("user-agent", "seed")])) + settings_ack()

    e = Encoder()
    out["02-post-content-length"] = (
        client_settings() + settings_ack() +
        headers(e, 1, request("POST", "/v1/chat/completions",
                              extra=[("content-type", "application/json"),
                                     ("content-length", "17")]), end_stream=False) +
        data(1, b'{"model":"m","x":', end_stream=False) + data(1, b"", end_stream=True))

    e = Encoder()
    out["03-post-chunked-trailers"] = tiny(
        client_settings() + settings_ack() +
        headers(e, 1, request("POST", "/upload"), end_stream=False) +
        data(1, b"a" * 700) + data(1, b"b" * 700) + data(1, b"c" * 1000) +
        headers(e, 1, [("x-checksum", "abc")], end_stream=True))

    # A header block split over HEADERS and two CONTINUATIONs.
    e = Encoder()
    block = e.encode(request(extra=[("x-long", "v" * 300), ("x-other", "w" * 300)]))
    first = HeadersFrame(1, data=block[:100], flags=["END_STREAM"])
    middle = ContinuationFrame(1, data=block[100:400])
    last = ContinuationFrame(1, data=block[400:], flags=["END_HEADERS"])
    out["04-continuation"] = (client_settings() + first.serialize() + middle.serialize() +
                              last.serialize())

    # PRIORITY frames around a request that carries a priority itself.
    e = Encoder()
    out["05-priority"] = (
        client_settings() +
        PriorityFrame(3, depends_on=0, stream_weight=200).serialize() +
        PriorityFrame(5, depends_on=3, stream_weight=10, exclusive=True).serialize() +
        headers(e, 1, request(), priority=(3, 16)) +
        PriorityFrame(1, depends_on=5, stream_weight=1).serialize())

    # Streams opened and reset before any answer (a small rapid reset), then one kept.
    e = Encoder()
    seed = client_settings()
    for stream_id in range(1, 20, 2):
        seed += headers(e, stream_id, request(path="/r%d" % stream_id))
        seed += RstStreamFrame(stream_id, error_code=8).serialize()
    seed += headers(e, 21, request(path="/kept"))
    out["06-rst-stream"] = seed

    # Window updates for the connection and a stream, a SETTINGS that changes the window.
    e = Encoder()
    out["07-window-update"] = (
        client_settings() + headers(e, 1, request("GET", "/big")) +
        WindowUpdateFrame(0, window_increment=1 << 20).serialize() +
        WindowUpdateFrame(1, window_increment=65535).serialize() +
        SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 1 << 20}).serialize() +
        WindowUpdateFrame(1, window_increment=0x7FFFFFFF).serialize())  # overflow: an error

    out["08-ping"] = (client_settings() + PingFrame(0, opaque_data=b"12345678").serialize() +
                      PingFrame(0, opaque_data=b"abcdefgh").serialize() + settings_ack() +
                      PingFrame(0, flags=["ACK"], opaque_data=b"unasked!").serialize())

    e = Encoder()
    out["09-goaway"] = (client_settings() + headers(e, 1, request()) +
                        headers(e, 3, request("POST"), end_stream=False) + data(3, b"x" * 10) +
                        GoAwayFrame(0, last_stream_id=0, error_code=0,
                                    additional_data=b"bye").serialize())

    # Cookie crumbs, a host disagreeing with :authority, CONNECT.
    e = Encoder()
    out["10-fields"] = (
        client_settings() +
        headers(e, 1, request(extra=[("cookie", "a=1"), ("x-mid", "m"), ("cookie", "b=2")])) +
        headers(e, 3, request(authority="a.example", extra=[("host", "b.example")])) +
        headers(e, 5, [(":method", "CONNECT"), (":authority", "up.example:443")],
                end_stream=False))

    out["11-bad-preface"] = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"

    # Connection errors: DATA on stream 0, a PING of the wrong size, an undersized frame.
    out["12-malformed"] = (client_settings() + raw(0x0, 0x0, 0, b"xx") +
                           raw(0x6, 0x0, 0, b"short") + raw(0x1, 0x5, 1, b"\x82"))

    # Empty DATA frames (the second in a row is a flood) and padded empty ones.
    e = Encoder()
    out["13-empty-data"] = (client_settings() +
                            headers(e, 1, request("POST"), end_stream=False) +
                            raw(0x0, 0x0, 1) + data(1, b"z") + raw(0x0, 0x0, 1) +
                            raw(0x0, 0x8, 1, b"\x00") + raw(0x0, 0x8, 1, b"\x00") +
                            raw(0x0, 0x0, 1) + raw(0x0, 0x1, 1))

    e = Encoder()
    out["14-padded"] = (client_settings() +
                        headers(e, 1, request("PUT", "/p"), end_stream=False, padded=20) +
                        data(1, b"body", pad_length=10) + data(1, b"", end_stream=True,
                                                                pad_length=255))

    # One 2500-byte field indexed once and referenced 40 times: ~100 KB decoded.
    e = Encoder()
    big = [("x-big", "b" * 2500)] * 40
    out["15-hpack-bomb"] = client_settings() + headers(e, 1, request(extra=big))

    # Several uploads interleaved, one over the tiny body limit.
    e = Encoder()
    seed = client_settings() + settings_ack()
    for stream_id in (1, 3, 5):
        seed += headers(e, stream_id, request("POST", "/s%d" % stream_id), end_stream=False)
    for chunk in range(3):
        for stream_id in (1, 3, 5):
            seed += data(stream_id, bytes([65 + chunk]) * (300 * stream_id))
    for stream_id in (1, 3, 5):
        seed += data(stream_id, b"", end_stream=True)
    out["16-interleaved"] = tiny(seed)

    # More CONTINUATION frames than nghttp2 allows (8), each with a little of the block.
    e = Encoder()
    block = e.encode(request(extra=[("x-c%d" % i, "v") for i in range(12)]))
    seed = client_settings() + HeadersFrame(1, data=block[:4], flags=["END_STREAM"]).serialize()
    rest = block[4:]
    pieces = [rest[i:i + 4] for i in range(0, len(rest), 4)]
    for i, piece in enumerate(pieces):
        flags = ["END_HEADERS"] if i == len(pieces) - 1 else []
        seed += ContinuationFrame(1, data=piece, flags=flags).serialize()
    out["17-continuation-flood"] = seed

    # A request body bigger than the stream window, sent before our SETTINGS are seen.
    e = Encoder()
    seed = client_settings() + headers(e, 1, request("POST", "/window"), end_stream=False)
    for _ in range(5):
        seed += data(1, b"w" * 16384)
    out["18-over-window"] = seed

    return out


def main():
    os.makedirs(CORPUS, exist_ok=True)
    for name, content in sorted(seeds().items()):
        with open(os.path.join(CORPUS, name + ".bin"), "wb") as f:
            f.write(content)
        print("%-28s %6d bytes" % (name, len(content)))


if __name__ == "__main__":
    main()
