/* Error codes and texts: what went wrong, in c->code and c->error. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *pc_code_name(pc_code code) {
  switch (code) {
    case PC_OK: return "OK";
    case PC_CONNECTION_LOST: return "CONNECTION_LOST";
    case PC_PROTOCOL_ERROR: return "PROTOCOL_ERROR";
    case PC_FRAME_TOO_LARGE: return "FRAME_TOO_LARGE";
    case PC_HANDLES_UNSUPPORTED: return "HANDLES_UNSUPPORTED";
    case PC_HANDSHAKE_REFUSED: return "HANDSHAKE_REFUSED";
    case PC_PEER_ERROR: return "PEER_ERROR";
    case PC_RECEIVER_GONE: return "RECEIVER_GONE";
    case PC_TIMEOUT: return "TIMEOUT";
    case PC_BAD_ADDRESS: return "BAD_ADDRESS";
    case PC_ENDPOINT_CLOSED: return "ENDPOINT_CLOSED";
    case PC_USAGE: return "USAGE";
    case PC_SYSTEM_ERROR: return "SYSTEM_ERROR";
  }
  return "UNKNOWN";
}

static void vformat(char *dst, size_t size, const char *fmt, va_list ap) {
  if (size == 0) return;
  if (vsnprintf(dst, size, fmt, ap) < 0) dst[0] = 0;
}

void pc__format(char *dst, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vformat(dst, size, fmt, ap);
  va_end(ap);
}

int pc__failf(pc_conn *c, pc_code code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vformat(c->error, sizeof c->error, fmt, ap);
  va_end(ap);
  c->code = code;
  return -1;
}

int pc__violation(pc_conn *c, pc_code code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vformat(c->error, sizeof c->error, fmt, ap);
  va_end(ap);
  c->code = code;
  pc_fail(c, c->error);
  return -1;
}

int pc__peer_error(pc_conn *c, pc_code code, const protochan_v1_FrameHeader *h) {
  /* The reason is the peer's text: copied with its length, never trusted to end. */
  size_t n = h->body_length;
  if (n > PC_REASON_MAX) n = PC_REASON_MAX;
  pc__failf(c, code, "peer reported an error: %.*s", (int)n, (const char *)c->body);
  pc__release(c);
  return -1;
}

const char *pc__type_text(const pc_channel *ch, char *buf, size_t size) {
  if (ch->type_name != NULL) return ch->type_name;
  pc__format(buf, size, "type 0x%016llx", (unsigned long long)ch->type_id);
  return buf;
}
