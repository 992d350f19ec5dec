/*
 * A C peer of a TypeScript protochan process, driven by the tests in test/c-peer/.
 * It speaks the wire protocol through the C library (c/) and exchanges example.v1.Sample
 * packets whose every field is derived from the packet's index i and a seed
 * (sample_fill below; test/c-peer/samples.ts is the TypeScript twin).
 *
 *   peer dial <ts-name> <count> <seed-in> <seed-out>
 *       Listens (prints "name <name>"), connects to the TypeScript one-shot
 *       server <ts-name> and completes the handshake ("connected"), accepts
 *       the TypeScript sender ("accepted"), receives <count> packets checking
 *       every field ("received <n>"), then sends <count> packets back on the
 *       first connection ("sent <n>").
 *   peer serve <ts-name> <count> <seed-in> <seed-out>
 *       Listens ("name <name>"; "refused <reason>" for each refused client),
 *       accepts ("accepted"), connects to <ts-name> ("connected"), and answers
 *       every packet it receives and checks with packet i of seed-out;
 *       "done <n>" after the sender's CLOSE.
 *   peer send <ts-name> <count> <seed>
 *       Connects and sends <count> packets ("sent <n>"); if the server refuses,
 *       prints "error <reason>" and exits with 2.
 *
 * Environment: PC_WINDOW, the receive window announced in WELCOME (default
 * 8 MiB); PC_IGNORE_CREDIT=1 makes "send" ignore flow control (a misbehaving
 * peer, for the test that the receiver stops it). Lines go to stdout; a
 * failure goes to stderr and exits with 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example/v1/packets.h"
#include "protochan/protochan.h"
#include "say.h"

/* ---- the deterministic packets ---- */

static int32_t to_i32(uint32_t u) {
  return u <= INT32_MAX ? (int32_t)u : -(int32_t)(UINT32_MAX - u) - 1;
}

/* Packet i of stream `seed`: every field set from (i, seed). */
static void sample_fill(example_v1_Sample *s, uint32_t i, uint32_t seed) {
  memset(s, 0, sizeof *s); /* padding and unused array elements are zero */
  s->id = ((uint64_t)seed << 56) ^ ((uint64_t)i * UINT64_C(0x9E3779B97F4A7C15));
  s->valid = (uint8_t)(i & 1);
  s->offset = (int8_t)((int)(i % 256) - 128);
  s->channel = (uint16_t)((i * 7 + seed) & 0xFFFF);
  s->priority = (uint8_t)(i % 3);
  s->level = (int32_t)(i % 4);
  s->temperature = (double)i * 0.25 - 1000.5;
  s->delta = to_i32(i * 2654435761u);
  int n = snprintf(s->name, example_v1_Sample_name_MAX_LENGTH, i % 7 == 0 ? "\xC2\xB5%u-%u" : "s%u-%u",
                   (unsigned)seed, (unsigned)i);
  s->name_len = (uint32_t)n; /* the NUL snprintf wrote is just an unused (zero) byte */
  for (uint32_t k = 0; k < example_v1_Sample_mac_LENGTH; k++) s->mac[k] = (uint8_t)((i + 37 * k + seed) & 0xFF);
  s->readings_count = i % 9;
  for (uint32_t k = 0; k < s->readings_count; k++) s->readings[k] = (int32_t)(i * k) - 5000;
  for (uint32_t k = 0; k < example_v1_Sample_weights_COUNT; k++) s->weights[k] = (float)((i % 1000) * 0.5 + k);
  s->position.x = (float)((i % 4096) * 0.125);
  s->position.y = (float)(256 - (int)(i % 513));
  s->path_count = i % 5;
  for (uint32_t k = 0; k < s->path_count; k++) {
    s->path[k].x = (float)k;
    s->path[k].y = (float)(i % 100);
  }
  switch (i % 4) {
    case 0:
      s->shape_case = example_v1_Sample_shape_NONE;
      break;
    case 1:
      s->shape_case = example_v1_Sample_shape_CIRCLE;
      s->shape.circle.center.x = (float)(i % 10);
      s->shape.circle.center.y = (float)((int)(i % 10) - 5);
      s->shape.circle.radius = i * 0.5;
      break;
    case 2: {
      char label[16];
      int len = snprintf(label, sizeof label, "L%u", (unsigned)i);
      s->shape_case = example_v1_Sample_shape_LABEL;
      memcpy(s->shape.label, label, (size_t)len); /* NUL-padded, no terminator needed */
      break;
    }
    default:
      s->shape_case = example_v1_Sample_shape_CODE;
      s->shape.code = i ^ 0xC0DEu;
      break;
  }
  s->has_battery = i % 3 != 0;
  s->battery = s->has_battery ? (uint8_t)(i % 101) : 0;
  s->acks = PROTOCHAN_HANDLE_NONE; /* no handle table on these frames */
  s->timestamp_ns = (i & 1 ? -1 : 1) * (INT64_C(1700000000000000000) + (int64_t)i * 1000);
}

/* Checks every field of a received packet against packet i of `seed`;
 * returns NULL, or the name of the first field that differs. */
static const char *sample_check(const example_v1_Sample *got, uint32_t i, uint32_t seed) {
  example_v1_Sample e;
  sample_fill(&e, i, seed);
#define FIELD(f) if (memcmp(&got->f, &e.f, sizeof e.f) != 0) return #f
  FIELD(id); FIELD(valid); FIELD(offset); FIELD(channel); FIELD(priority); FIELD(level);
  FIELD(temperature); FIELD(delta); FIELD(name_len); FIELD(name); FIELD(mac);
  FIELD(readings_count); FIELD(readings); FIELD(weights); FIELD(position); FIELD(path_count);
  FIELD(path); FIELD(shape_case); FIELD(shape); FIELD(has_battery); FIELD(battery); FIELD(acks);
  FIELD(timestamp_ns);
  FIELD(_pad0); FIELD(_pad1); FIELD(_pad2); FIELD(_pad3);
#undef FIELD
  /* The checks above cover every member; the whole struct must match too. */
  if (memcmp(got, &e, sizeof e) != 0) return "(struct bytes)";
  return NULL;
}

/* ---- driver ---- */


static void die(const char *what, const char *why) {
  fprintf(stderr, "peer: %s: %s\n", what, why);
  exit(1);
}

static void on_refused(void *ctx, const char *reason) {
  (void)ctx;
  say("refused %s", reason);
}

/* The receive window from PC_WINDOW (0: the library's default). */
static pc_options env_options(void) {
  pc_options o;
  memset(&o, 0, sizeof o);
  const char *w = getenv("PC_WINDOW");
  o.window = w == NULL ? 0 : (uint32_t)strtoul(w, NULL, 10);
  return o;
}

static pc_channel samples(void) {
  pc_channel ch = pc_packet_channel(example_v1_Sample_TYPE_ID, sizeof(example_v1_Sample));
  ch.type_name = "example.v1.Sample"; /* named in refusals */
  return ch;
}

static pc_conn *new_conn(void) {
  pc_conn *c = malloc(sizeof *c);
  if (c == NULL) die("malloc", "out of memory");
  return c;
}

/* Receives packet i and checks it; returns 0 after the sender's CLOSE. */
static int receive_checked(pc_conn *in, uint32_t i, uint32_t seed) {
  example_v1_Sample s;
  int r = pc_recv_packet(in, &s, sizeof s);
  if (r < 0) die("receive", in->error);
  if (r == 0) return 0;
  const char *bad = sample_check(&s, i, seed);
  if (bad != NULL) {
    fprintf(stderr, "peer: packet %u of seed %u: field %s differs\n", (unsigned)i, (unsigned)seed, bad);
    pc_fail(in, "packet check failed");
    exit(1);
  }
  return 1;
}

static void send_one(pc_conn *out, uint32_t i, uint32_t seed) {
  example_v1_Sample s;
  sample_fill(&s, i, seed);
  if (pc_send(out, &s, sizeof s) != 0) die("send", out->error);
}

int main(int argc, char **argv) {
  if (argc < 4) die("usage", "peer dial|serve|send <ts-name> <count> <seed> [<seed-out>]");
  const char *mode = argv[1];
  const char *ts_name = argv[2];
  uint32_t count = (uint32_t)strtoul(argv[3], NULL, 10);
  uint32_t seed_in = (uint32_t)strtoul(argv[4 < argc ? 4 : 3], NULL, 10);
  uint32_t seed_out = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : 0;
  pc_conn *in = new_conn(), *out = new_conn();
  pc_listener l;
  pc_options opts = env_options();

  if (strcmp(mode, "send") == 0) {
    if (pc_connect(out, ts_name, samples(), &opts) != 0) {
      say("error %s", out->error);
      return 2;
    }
    if (getenv("PC_IGNORE_CREDIT") != NULL) out->send_window = UINT64_MAX; /* never wait for CREDIT */
    for (uint32_t i = 0; i < count; i++) send_one(out, i, seed_in);
    if (pc_close(out) != 0) die("close", out->error);
    say("sent %lu", (unsigned long)count);
    return 0;
  }

  if (pc_listen(&l) != 0) die("listen", l.error);
  say("name %s", l.name);

  if (strcmp(mode, "dial") == 0) {
    if (pc_connect(out, ts_name, samples(), &opts) != 0) die("connect", out->error);
    say("connected");
    if (pc_accept(&l, in, samples(), &opts, on_refused, NULL) != 0) die("accept", in->error);
    say("accepted");
    uint32_t n = 0;
    while (receive_checked(in, n, seed_in)) n++;
    say("received %lu", (unsigned long)n);
    if (n != count) die("receive", "wrong number of packets");
    for (uint32_t i = 0; i < count; i++) send_one(out, i, seed_out);
    if (pc_close(out) != 0) die("close", out->error);
    say("sent %lu", (unsigned long)count);
    return 0;
  }

  if (strcmp(mode, "serve") == 0) {
    if (pc_accept(&l, in, samples(), &opts, on_refused, NULL) != 0) die("accept", in->error);
    say("accepted");
    if (pc_connect(out, ts_name, samples(), &opts) != 0) die("connect", out->error);
    say("connected");
    uint32_t n = 0;
    while (receive_checked(in, n, seed_in)) send_one(out, n++, seed_out);
    if (pc_close(out) != 0) die("close", out->error);
    say("done %lu", (unsigned long)n);
    if (n != count) die("serve", "wrong number of packets");
    return 0;
  }

  die("usage", "unknown mode");
  return 1;
}
