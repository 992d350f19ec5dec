/*
 * A C program on the protochan C library, driven by test/c-lib/: it sends or
 * receives message i = 0, 1, 2, ... of one of three channels, each derived
 * from i alone (test/c-lib/messages.ts is the TypeScript twin):
 *
 *   bytes  protochan.bytes: (i * 7) % 300 bytes, byte j = (i + j) & 0xff
 *   ping   example.v1.Ping in proto3 binary: seq = i * 0x100000001,
 *          text = "ping-<i>" (with a trailing "\u00b5" when i % 3 == 0),
 *          payload = i % 5 bytes, byte j = (i * 3 + j) & 0xff
 *   vec2   example.v1.Vec2 packets: x = i / 2, y = -i
 *
 *   lib-peer send <name> <bytes|ping|vec2> <count>
 *       Connects ("connected"), sends <count> messages, closes ("sent <n>").
 *       Before a send that must wait for credit: "waiting <sent> <outstanding> <window>".
 *   lib-peer recv <bytes|ping|vec2>
 *       Listens ("name <name>"; "refused <reason>" per refused client), accepts
 *       ("accepted"), checks every message until the sender closes ("done <n>").
 *
 * A library failure prints "error <CODE> <text>" and exits 2; a message that
 * is not what it should be goes to stderr and exits 1. PC_WINDOW sets the
 * window (send: ignored; recv: announced).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example/v1/packets.h"
#include "protochan/protochan.h"
#include "say.h"


static int library_failed(const pc_conn *c) {
  say("error %s %s", pc_code_name(c->code), c->error);
  return 2;
}

/* ---- the three kinds of message i ---- */

typedef struct msg {
  uint8_t bytes[512];
  uint32_t length;
} msg;

static void put_varint(msg *m, uint64_t v) {
  while (v > 0x7f) {
    m->bytes[m->length++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  m->bytes[m->length++] = (uint8_t)v;
}

static void put_field(msg *m, uint32_t field, const void *data, uint32_t n) {
  if (n == 0) return; /* proto3: an empty string or bytes field is not written */
  put_varint(m, (uint64_t)field << 3 | 2);
  put_varint(m, n);
  memcpy(m->bytes + m->length, data, n);
  m->length += n;
}

static void ping_parts(uint32_t i, uint64_t *seq, char *text, uint8_t *payload, uint32_t *payload_len) {
  *seq = (uint64_t)i * UINT64_C(0x100000001);
  snprintf(text, 32, i % 3 == 0 ? "ping-%u\xC2\xB5" : "ping-%u", (unsigned)i);
  *payload_len = i % 5;
  for (uint32_t j = 0; j < *payload_len; j++) payload[j] = (uint8_t)((i * 3 + j) & 0xff);
}

static void make(const char *kind, uint32_t i, msg *m) {
  m->length = 0;
  if (strcmp(kind, "bytes") == 0) {
    m->length = (i * 7) % 300;
    for (uint32_t j = 0; j < m->length; j++) m->bytes[j] = (uint8_t)((i + j) & 0xff);
  } else if (strcmp(kind, "ping") == 0) {
    uint64_t seq;
    char text[32];
    uint8_t payload[8];
    uint32_t payload_len;
    ping_parts(i, &seq, text, payload, &payload_len);
    if (seq != 0) { /* proto3: a zero number is not written */
      put_varint(m, 1 << 3 | 0);
      put_varint(m, seq);
    }
    put_field(m, 2, text, (uint32_t)strlen(text));
    put_field(m, 3, payload, payload_len);
  } else {
    example_v1_Vec2 v;
    memset(&v, 0, sizeof v);
    v.x = (float)i / 2;
    v.y = -(float)i;
    memcpy(m->bytes, &v, sizeof v);
    m->length = sizeof v;
  }
}

/* A varint at *at, below end; -1 if cut off or longer than 10 bytes. */
static int get_varint(const uint8_t *b, size_t *at, size_t end, uint64_t *v) {
  *v = 0;
  for (int shift = 0; shift < 70 && *at < end; shift += 7) {
    uint8_t byte = b[(*at)++];
    *v |= (uint64_t)(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return 0;
  }
  return -1;
}

/* Decodes a Ping (fields in any order, unknown ones skipped) and compares it with ping i. */
static const char *check_ping(const uint8_t *b, size_t n, uint32_t i) {
  uint64_t seq = 0, want_seq;
  char text[64] = {0}, want_text[32];
  uint8_t payload[16], want_payload[8];
  uint32_t text_len = 0, payload_len = 0, want_payload_len;
  size_t at = 0;
  while (at < n) {
    uint64_t tag, v;
    if (get_varint(b, &at, n, &tag) != 0) return "bad tag";
    if ((tag & 7) == 0) {
      if (get_varint(b, &at, n, &v) != 0) return "bad varint";
      if (tag >> 3 == 1) seq = v;
    } else if ((tag & 7) == 2) {
      if (get_varint(b, &at, n, &v) != 0 || v > n - at) return "bad length";
      if (tag >> 3 == 2) {
        if (v >= sizeof text) return "text too long";
        memcpy(text, b + at, (size_t)v);
        text_len = (uint32_t)v;
      } else if (tag >> 3 == 3) {
        if (v > sizeof payload) return "payload too long";
        memcpy(payload, b + at, (size_t)v);
        payload_len = (uint32_t)v;
      }
      at += (size_t)v;
    } else {
      return "unexpected wire type";
    }
  }
  ping_parts(i, &want_seq, want_text, want_payload, &want_payload_len);
  if (seq != want_seq) return "seq";
  if (text_len != strlen(want_text) || memcmp(text, want_text, text_len) != 0) return "text";
  if (payload_len != want_payload_len || memcmp(payload, want_payload, payload_len) != 0) return "payload";
  return NULL;
}

static const char *check(const char *kind, uint32_t i, const pc_message *got) {
  if (strcmp(kind, "ping") == 0) return check_ping(got->body, got->length, i);
  msg want;
  make(kind, i, &want);
  if (got->length != want.length) return "length";
  if (memcmp(got->body, want.bytes, want.length) != 0) return "bytes";
  return NULL;
}

static pc_channel channel_of(const char *kind) {
  if (strcmp(kind, "bytes") == 0) return pc_bytes_channel();
  if (strcmp(kind, "ping") == 0) return pc_protobuf_channel("example.v1.Ping");
  pc_channel ch = pc_packet_channel(example_v1_Vec2_TYPE_ID, sizeof(example_v1_Vec2));
  ch.type_name = "example.v1.Vec2";
  return ch;
}

static void on_refused(void *ctx, const char *reason) {
  (void)ctx;
  say("refused %s", reason);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: lib-peer send <name> <kind> <count> | recv <kind>\n");
    return 64;
  }
  pc_options opts;
  memset(&opts, 0, sizeof opts);
  const char *w = getenv("PC_WINDOW");
  if (w != NULL) opts.window = (uint32_t)strtoul(w, NULL, 10);
  static pc_conn c;

  if (strcmp(argv[1], "send") == 0 && argc >= 5) {
    const char *kind = argv[3];
    uint32_t count = (uint32_t)strtoul(argv[4], NULL, 10);
    if (pc_connect(&c, argv[2], channel_of(kind), &opts) != 0) return library_failed(&c);
    say("connected");
    for (uint32_t i = 0; i < count; i++) {
      msg m;
      make(kind, i, &m);
      if (c.outstanding >= c.send_window) {
        say("waiting %u %llu %llu", (unsigned)i, (unsigned long long)c.outstanding, (unsigned long long)c.send_window);
      }
      if (pc_send(&c, m.bytes, m.length) != 0) return library_failed(&c);
    }
    if (pc_close(&c) != 0) return library_failed(&c);
    say("sent %u", (unsigned)count);
    return 0;
  }

  if (strcmp(argv[1], "recv") == 0) {
    const char *kind = argv[2];
    pc_listener l;
    if (pc_listen(&l) != 0) {
      say("error SYSTEM_ERROR %s", l.error);
      return 2;
    }
    say("name %s", l.name);
    if (pc_accept(&l, &c, channel_of(kind), &opts, on_refused, NULL) != 0) return library_failed(&c);
    say("accepted");
    uint32_t n = 0;
    for (;;) {
      pc_message m;
      int r = pc_recv(&c, &m);
      if (r < 0) return library_failed(&c);
      if (r == 0) break;
      const char *bad = check(kind, n, &m);
      if (bad != NULL) {
        fprintf(stderr, "lib-peer: %s message %u: %s differs\n", kind, (unsigned)n, bad);
        pc_fail(&c, "message check failed");
        return 1;
      }
      n++;
    }
    say("done %u", (unsigned)n);
    return 0;
  }
  fprintf(stderr, "lib-peer: unknown mode %s\n", argv[1]);
  return 64;
}
