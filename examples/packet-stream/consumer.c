/*
 * A C consumer of a protochan packet stream (docs/packet-streaming.md), on
 * the protochan C library (c/include/protochan/protochan.h).
 *
 *   consumer <packet server name> [--check]
 *
 * 1. Listens on a fresh Unix socket of its own (the data server).
 * 2. Dials the TypeScript PacketServer (the control channel) and sends one
 *    message: the stream hello with its data server's name.
 * 3. Accepts the producer's connection on the data server (the library
 *    checks its HELLO and answers WELCOME with our window and frame limit).
 * 4. Receives MESSAGEs: OPEN, BATCH..., END, then CLOSE (the library returns
 *    CREDIT as they are consumed); copies each packet into a
 *    protochan_v1_Packet.
 *
 * It prints "packets=N payload_bytes=M end=clean" and exits 0 on a clean
 * end; 2 on a protocol or decode error (after sending ERROR); 3 if the
 * producer went away before the end of stream. With --check, every packet
 * must be packet i of examples/packet-stream/producer.ts.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protochan/protochan.h"
#include "protochan/v1/packet.h"

#define BATCH_MAGIC 0x42544B50u /* "PKTB" */
#define MAX_BATCH (256u * 1024u)                  /* largest batch body we accept */
#define MAX_FRAME (MAX_BATCH + PC_HEADER_SIZE)    /* announced in WELCOME */
#define WINDOW (4u * MAX_FRAME)                   /* at most 4 batches in flight */
#define CONTROL_TYPE "protochan.packet_stream.control.protochan.v1.Packet"
#define DATA_TYPE "protochan.packet_stream.data.protochan.v1.Packet"

enum { KIND_OPEN = 1, KIND_BATCH = 2, KIND_END = 3 };
enum { LAYOUT_FIXED = 0, LAYOUT_TRIMMED = 1 };

static uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static uint16_t rd16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* A channel whose body is the packet-stream format (neither protobuf nor a struct). */
static pc_channel stream_channel(const char *type_name) {
  pc_channel ch = {pc_type_id(type_name), type_name, 0};
  return ch;
}

static pc_conn data, control;

/* Sends ERROR with the reason, reports it and exits 2. */
_Noreturn static void fail(const char *fmt, ...) {
  char reason[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  pc_fail(&data, reason);
  fprintf(stderr, "consumer: %s\n", reason);
  exit(2);
}

static protochan_v1_Packet packet; /* 65,560 bytes: one, reused */

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: consumer <packet server name> [--check]\n");
    return 1;
  }
  int check = argc > 2 && strcmp(argv[2], "--check") == 0;
  pc_options opts;
  memset(&opts, 0, sizeof opts);
  opts.max_frame_size = MAX_FRAME;
  opts.window = WINDOW;

  /* 1. Our data server: a fresh 0700 directory, a socket in it, a token. */
  pc_listener listener;
  if (pc_listen(&listener) != 0) {
    fprintf(stderr, "consumer: listen: %s\n", listener.error);
    return 1;
  }

  /* 2. The control channel: the handshake, then one MESSAGE (the stream hello). */
  if (pc_connect(&control, argv[1], stream_channel(CONTROL_TYPE), &opts) != 0) {
    fprintf(stderr, "consumer: %s: %s\n", pc_code_name(control.code), control.error);
    return 1;
  }
  uint8_t stream_hello[12 + PC_NAME_SIZE];
  uint32_t name_len = (uint32_t)strlen(listener.name);
  wr32(stream_hello, 1);
  wr32(stream_hello + 4, MAX_BATCH);
  wr32(stream_hello + 8, name_len);
  memcpy(stream_hello + 12, listener.name, name_len);
  if (pc_send(&control, stream_hello, 12 + name_len) != 0 || pc_flush(&control) != 0) {
    fprintf(stderr, "consumer: send: %s\n", control.error);
    return 1;
  }

  /* 3. The producer connects to us: HELLO checked, WELCOME sent, listener gone. */
  if (pc_accept(&listener, &data, stream_channel(DATA_TYPE), &opts, NULL, NULL) != 0) {
    fprintf(stderr, "consumer: accept: %s\n", data.error);
    return 1;
  }
  /* The data channel is up: close the control channel properly (CLOSE after our one message). */
  if (pc_close(&control) != 0) {
    fprintf(stderr, "consumer: control channel: %s\n", control.error);
    return 1;
  }

  /* 4. OPEN, BATCH..., END, then the producer's CLOSE. */
  uint64_t packets = 0, payload_bytes = 0;
  int opened = 0, ended = 0;
  for (;;) {
    pc_message m;
    int r = pc_recv(&data, &m);
    if (r == 0) {
      if (!ended) {
        fprintf(stderr, "consumer: the producer closed without the end of stream\n");
        return 3;
      }
      break;
    }
    if (r < 0) {
      fprintf(stderr, "consumer: %s (%llu packets): %s\n", pc_code_name(data.code), (unsigned long long)packets, data.error);
      return data.code == PC_PROTOCOL_ERROR || data.code == PC_FRAME_TOO_LARGE || data.code == PC_HANDLES_UNSUPPORTED ? 2 : 3;
    }
    const uint8_t *body = m.body;
    if (ended) fail("message after the end of stream");

    /* The batch header. */
    if (m.length < 16 || rd32(body) != BATCH_MAGIC) fail("corrupt packet batch: bad header");
    uint16_t kind = rd16(body + 4), layout = rd16(body + 6);
    uint32_t count = rd32(body + 8), struct_size = rd32(body + 12);
    if (struct_size < sizeof packet) fail("corrupt packet batch: %u-byte packets", (unsigned)struct_size);
    if (kind == KIND_OPEN) {
      if (opened) fail("corrupt packet batch: OPEN twice");
      opened = 1;
    } else if (kind == KIND_END) {
      ended = 1;
    } else if (kind == KIND_BATCH && opened) {
      size_t at = 16;
      for (uint32_t i = 0; i < count; i++) {
        uint32_t length = 0;
        size_t advance = 0;
        if (layout == LAYOUT_TRIMMED) {
          if (m.length - at < 8) fail("corrupt packet batch: record %u cut off", (unsigned)i);
          length = rd32(body + at);
          at += 8;
          advance = ((size_t)length + 7) & ~(size_t)7;
        } else if (layout == LAYOUT_FIXED) {
          length = struct_size;
          advance = struct_size;
        } else {
          fail("corrupt packet batch: layout %u", (unsigned)layout);
        }
        if (length > struct_size || advance > m.length - at) fail("corrupt packet batch: record %u too long", (unsigned)i);
        size_t used = length < sizeof packet ? length : sizeof packet;
        if (used < offsetof(protochan_v1_Packet, payload)) fail("corrupt packet batch: record %u too short", (unsigned)i);
        /* memcpy, never a cast: records sit at any alignment in the body. Only the bytes
           the record holds are copied; the rest of the struct is unused payload. */
        memcpy(&packet, body + at, used);
        if (packet.payload_len > protochan_v1_Packet_payload_MAX_LENGTH ||
            offsetof(protochan_v1_Packet, payload) + packet.payload_len > used) {
          fail("corrupt packet batch: record %u: payload_len %u", (unsigned)i, (unsigned)packet.payload_len);
        }
        if (check) {
          uint64_t k = packets;
          uint32_t want = (uint32_t)((k * 37) % 1501);
          int ok = packet.timestamp_ns == k && packet.payload_len == want && packet.original_length == want + 4 && packet.link_type == 101;
          for (uint32_t b = 0; ok && b < packet.payload_len; b++) ok = packet.payload[b] == (uint8_t)(k & 0xff);
          if (!ok) {
            fprintf(stderr, "consumer: packet %llu is wrong (timestamp %llu, payload_len %u)\n", (unsigned long long)k,
                    (unsigned long long)packet.timestamp_ns, (unsigned)packet.payload_len);
            return 4;
          }
        }
        packets++;
        payload_bytes += packet.payload_len;
        at += advance;
      }
      if (at != m.length) fail("corrupt packet batch: %u bytes after the last record", (unsigned)(m.length - at));
    } else {
      fail("corrupt packet batch: kind %u", (unsigned)kind);
    }
  }
  printf("packets=%llu payload_bytes=%llu end=clean\n", (unsigned long long)packets, (unsigned long long)payload_bytes);
  return 0;
}
