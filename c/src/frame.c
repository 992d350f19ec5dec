/* Framing: buffered reads and writes of frames, every header checked before
 * anything else of its frame is read or allocated. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "internal.h"

#define IN_BUFFER 65536u
#define FIRST_BODY 4096u

static uint32_t or_default(uint32_t v, uint32_t def) { return v == 0 ? def : v; }

int pc__init(pc_conn *c, int fd, pc_channel channel, const pc_options *opts, int sending) {
  memset(c, 0, sizeof *c);
  c->fd = fd;
  c->channel = channel;
  pc_options o;
  memset(&o, 0, sizeof o);
  if (opts != NULL) o = *opts;
  o.max_frame_size = or_default(o.max_frame_size, PC_DEFAULT_MAX_FRAME_SIZE);
  if (o.max_frame_size < PC_HEADER_SIZE) o.max_frame_size = PC_HEADER_SIZE;
  o.window = or_default(o.window, PC_DEFAULT_WINDOW);
  o.max_handles = or_default(o.max_handles, PC_DEFAULT_MAX_HANDLES);
  o.timeout_ms = or_default(o.timeout_ms, PC_DEFAULT_TIMEOUT_MS);
  o.handshake_timeout_ms = or_default(o.handshake_timeout_ms, PC_DEFAULT_HANDSHAKE_TIMEOUT_MS);
  c->opts = o;
  c->sending = sending;
  c->next_seq = 1;
  c->in = (uint8_t *)malloc(IN_BUFFER);
  c->out = (uint8_t *)malloc(PC_OUT_BUFFER);
  c->body = (uint8_t *)malloc(FIRST_BODY); /* grows up to max_frame_size, never beyond */
  c->body_cap = FIRST_BODY;
  if (c->in == NULL || c->out == NULL || c->body == NULL) {
    pc__release(c);
    return pc__failf(c, PC_SYSTEM_ERROR, "out of memory");
  }
  if (fd >= 0) pc__set_timeout(fd, o.timeout_ms);
  return 0;
}

void pc__release(pc_conn *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  free(c->in);
  free(c->out);
  free(c->body);
  c->in = c->out = c->body = NULL;
  c->in_pos = c->in_len = c->out_len = c->body_cap = 0;
}

void pc_abort(pc_conn *c) { pc__release(c); }

void pc__set_timeout(int fd, uint32_t ms) {
  struct timeval tv;
  tv.tv_sec = (time_t)(ms / 1000);
  tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int pc__random(uint8_t *out, size_t n) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, out + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  return got == n ? 0 : -1;
}

/* ---- writing ---- */

static int io_error(pc_conn *c, const char *what) {
  int e = errno;
  pc_code code = e == EAGAIN || e == EWOULDBLOCK ? PC_TIMEOUT : PC_CONNECTION_LOST;
  pc__failf(c, code, "%s failed: %s", what, code == PC_TIMEOUT ? "timed out" : strerror(e));
  pc__release(c);
  return -1;
}

static int send_all(pc_conn *c, const uint8_t *p, size_t n) {
  while (n > 0) {
    /* MSG_NOSIGNAL: a peer that went away is an error return, not SIGPIPE. */
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return io_error(c, "write");
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int pc_flush(pc_conn *c) {
  if (c->fd < 0) return pc__failf(c, PC_ENDPOINT_CLOSED, "the connection is closed");
  size_t n = c->out_len;
  c->out_len = 0;
  return n == 0 ? 0 : send_all(c, c->out, n);
}

int pc__put_frame(pc_conn *c, uint16_t kind, uint32_t route, uint64_t seq, uint64_t type_id, uint16_t flags,
                  const void *body, uint32_t length) {
  if (c->fd < 0) return pc__failf(c, PC_ENDPOINT_CLOSED, "the connection is closed");
  protochan_v1_FrameHeader h;
  memset(&h, 0, sizeof h);
  h.magic = PC_MAGIC;
  h.version = PC_PROTOCOL_VERSION;
  h.header_size = PC_HEADER_SIZE;
  h.kind = kind;
  h.flags = flags;
  h.body_length = length;
  h.route_id = route;
  h.handle_count = 0;
  h.seq = seq;
  h.type_id = type_id;
  size_t size = sizeof h + (size_t)length;
  if (c->out_len + size > PC_OUT_BUFFER && pc_flush(c) != 0) return -1;
  if (size > PC_OUT_BUFFER) {
    /* Too big to buffer: header, then the body straight from the caller. */
    if (send_all(c, (const uint8_t *)&h, sizeof h) != 0) return -1;
    return send_all(c, (const uint8_t *)body, length);
  }
  memcpy(c->out + c->out_len, &h, sizeof h);
  if (length > 0) memcpy(c->out + c->out_len + sizeof h, body, length);
  c->out_len += size;
  return 0;
}

void pc_fail(pc_conn *c, const char *reason) {
  if (c->fd < 0) return;
  /* A failed write of the ERROR must not replace why the caller failed. */
  pc_code code = c->code;
  char error[PC_ERROR_SIZE];
  memcpy(error, c->error, sizeof error);
  size_t n = strlen(reason);
  if (n > PC_REASON_MAX) n = PC_REASON_MAX;
  c->out_len = 0; /* what was queued is dropped: the ERROR goes out alone */
  if (pc__put_frame(c, PROTOCHAN_V1_FRAME_KIND_ERROR, 0, 0, 0, 0, reason, (uint32_t)n) == 0 && pc_flush(c) == 0) {
    shutdown(c->fd, SHUT_WR);
  }
  pc__release(c);
  c->code = code;
  memcpy(c->error, error, sizeof error);
}

/* ---- reading ---- */

/* 0: n bytes copied; 1: clean end of stream before the first byte; -1: failure. */
static int read_exact(pc_conn *c, void *dst, size_t n, int at_boundary) {
  uint8_t *d = (uint8_t *)dst;
  size_t want = n;
  while (n > 0) {
    if (c->in_pos == c->in_len) {
      /* A large rest goes straight to its destination: no second copy. */
      int direct = n >= IN_BUFFER;
      ssize_t r = recv(c->fd, direct ? d : c->in, direct ? n : IN_BUFFER, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return io_error(c, "read");
      if (r == 0) {
        if (at_boundary && n == want) {
          pc__failf(c, PC_CONNECTION_LOST, "peer closed the connection");
          pc__release(c);
          return 1;
        }
        pc__failf(c, PC_CONNECTION_LOST, "peer closed the connection in the middle of a frame");
        pc__release(c);
        return -1;
      }
      if (direct) {
        d += r;
        n -= (size_t)r;
        continue;
      }
      c->in_pos = 0;
      c->in_len = (size_t)r;
    }
    size_t take = c->in_len - c->in_pos;
    if (take > n) take = n;
    memcpy(d, c->in + c->in_pos, take);
    c->in_pos += take;
    d += take;
    n -= take;
  }
  return 0;
}

int pc_check_header(const protochan_v1_FrameHeader *h, uint32_t max_frame_size, uint32_t max_handles,
                    pc_code *code, char *why, size_t why_size) {
  *code = PC_PROTOCOL_ERROR;
  if (h->magic != PC_MAGIC) {
    pc__format(why, why_size, "bad frame: wrong magic (not a protochan peer, or the stream is out of sync)");
    return -1;
  }
  if (h->version != PC_PROTOCOL_VERSION) {
    pc__format(why, why_size, "bad frame: protocol version %u, expected %u", (unsigned)h->version, PC_PROTOCOL_VERSION);
    return -1;
  }
  if (h->header_size != PC_HEADER_SIZE) {
    pc__format(why, why_size, "bad frame: header size %u, expected %u", (unsigned)h->header_size, PC_HEADER_SIZE);
    return -1;
  }
  if (h->kind < PROTOCHAN_V1_FRAME_KIND_HELLO || h->kind > PROTOCHAN_V1_FRAME_KIND_NODE_INFO) {
    pc__format(why, why_size, "bad frame: unknown kind %u", (unsigned)h->kind);
    return -1;
  }
  if (h->handle_count > max_handles) {
    pc__format(why, why_size, "bad frame: %u handles, at most %u allowed", (unsigned)h->handle_count, (unsigned)max_handles);
    return -1;
  }
  /* 64-bit sum: no 32-bit length can overflow it. */
  uint64_t size = (uint64_t)PC_HEADER_SIZE + (uint64_t)h->handle_count * PC_HANDLE_ENTRY_SIZE + h->body_length;
  if (size > max_frame_size) {
    *code = PC_FRAME_TOO_LARGE;
    pc__format(why, why_size, "frame of %llu bytes exceeds the maximum frame size of %u bytes", (unsigned long long)size,
               (unsigned)max_frame_size);
    return -1;
  }
  *code = PC_OK;
  return 0;
}

int pc_parse_handles(const uint8_t *table, size_t table_size, uint32_t count, protochan_v1_HandleEntry *out,
                     char *why, size_t why_size) {
  if (table_size / PC_HANDLE_ENTRY_SIZE != count || table_size % PC_HANDLE_ENTRY_SIZE != 0) {
    pc__format(why, why_size, "bad handle table: %zu bytes for %u entries", table_size, (unsigned)count);
    return -1;
  }
  for (uint32_t i = 0; i < count; i++) {
    protochan_v1_HandleEntry e;
    memcpy(&e, table + (size_t)i * PC_HANDLE_ENTRY_SIZE, sizeof e); /* any alignment */
    if (e.kind != PROTOCHAN_V1_HANDLE_KIND_SENDER && e.kind != PROTOCHAN_V1_HANDLE_KIND_RECEIVER) {
      pc__format(why, why_size, "handle %u: unknown kind %u", (unsigned)i, (unsigned)e.kind);
      return -1;
    }
    uint16_t allowed = e.kind == PROTOCHAN_V1_HANDLE_KIND_SENDER ? PC_HANDLE_FLAG_GONE : 0;
    if ((e.flags & ~allowed) != 0) {
      pc__format(why, why_size, "handle %u: unknown flags 0x%x", (unsigned)i, (unsigned)e.flags);
      return -1;
    }
    if (out != NULL) out[i] = e;
  }
  return 0;
}

/* Room for `n` bytes of table and body; n is already within max_frame_size. */
static int body_room(pc_conn *c, size_t n) {
  if (n <= c->body_cap) return 0;
  size_t cap = c->body_cap;
  while (cap < n) cap *= 2;
  if (cap > c->opts.max_frame_size) cap = c->opts.max_frame_size;
  uint8_t *b = (uint8_t *)realloc(c->body, cap);
  if (b == NULL) return pc__failf(c, PC_SYSTEM_ERROR, "out of memory for a frame of %zu bytes", n);
  c->body = b;
  c->body_cap = cap;
  return 0;
}

/* A frame with a handle table: check it, then refuse it (no handle routing here). */
static int refuse_handles(pc_conn *c, const protochan_v1_FrameHeader *h) {
  char why[256];
  size_t table = (size_t)h->handle_count * PC_HANDLE_ENTRY_SIZE;
  if (pc_parse_handles(c->body, table, h->handle_count, NULL, why, sizeof why) != 0) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "%s", why);
  }
  protochan_v1_HandleEntry first;
  memcpy(&first, c->body, sizeof first);
  if (h->kind != PROTOCHAN_V1_FRAME_KIND_MESSAGE) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "bad frame: a frame of kind %u with a handle table", (unsigned)h->kind);
  }
  return pc__violation(c, PC_HANDLES_UNSUPPORTED,
                       "route %u: message %llu carries %u channel end(s) (handle 0: a %s of type 0x%016llx); "
                       "this C peer cannot take channel ends",
                       (unsigned)h->route_id, (unsigned long long)h->seq, (unsigned)h->handle_count,
                       first.kind == PROTOCHAN_V1_HANDLE_KIND_SENDER ? "sender" : "receiver",
                       (unsigned long long)first.type_id);
}

int pc__read_frame(pc_conn *c, protochan_v1_FrameHeader *h) {
  if (c->fd < 0) return pc__failf(c, PC_ENDPOINT_CLOSED, "the connection is closed");
  if (pc_flush(c) != 0) return -1; /* whatever the peer may be waiting for goes out first */
  int r = read_exact(c, h, sizeof *h, 1);
  if (r != 0) return r;
  pc_code code;
  char why[256];
  if (pc_check_header(h, c->opts.max_frame_size, c->opts.max_handles, &code, why, sizeof why) != 0) {
    return pc__violation(c, code, "%s", why);
  }
  size_t table = (size_t)h->handle_count * PC_HANDLE_ENTRY_SIZE;
  size_t n = table + h->body_length;
  if (body_room(c, n) != 0) {
    pc__release(c);
    return -1;
  }
  if (read_exact(c, c->body, n, 0) != 0) return -1;
  if (h->handle_count > 0) return refuse_handles(c, h);
  return 0;
}

int pc__finish(pc_conn *c) {
  if (c->fd < 0) return 0;
  if (pc_flush(c) != 0) return -1;
  shutdown(c->fd, SHUT_WR);
  /* Read to the peer's end (closing with unread data would reset the
   * connection under it); CREDIT and GONE are of no use any more. */
  for (;;) {
    protochan_v1_FrameHeader h;
    int r = pc__read_frame(c, &h);
    if (r == 1) return 0;
    if (r < 0) return -1;
    if (h.kind == PROTOCHAN_V1_FRAME_KIND_ERROR) return pc__peer_error(c, PC_PEER_ERROR, &h);
  }
}
