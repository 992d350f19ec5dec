/* The protochan wire protocol in C: see pcwire.h and docs/wire-format.md. */
#define _POSIX_C_SOURCE 200809L
#include "pcwire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define PC_MAGIC 0x4E484350u /* "PCHN" */
#define PC_VERSION 1u
#define PC_HEADER ((uint32_t)sizeof(protochan_v1_FrameHeader))
/* Every read on a connection gives up after this long (the tests bound everything). */
#define PC_READ_TIMEOUT_S 30
/* A client must complete its handshake within this long. */
#define PC_HANDSHAKE_TIMEOUT_S 10

PROTOCHAN_STATIC_ASSERT(sizeof(protochan_v1_FrameHeader) == 40, "frame header is 40 bytes");
PROTOCHAN_STATIC_ASSERT(sizeof(protochan_v1_Hello) == 72, "HELLO body is 72 bytes");
PROTOCHAN_STATIC_ASSERT(sizeof(protochan_v1_Welcome) == 36, "WELCOME body is 36 bytes");

static int failf(pc_conn *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->error, sizeof c->error, fmt, ap);
  va_end(ap);
  return -1;
}

static void conn_init(pc_conn *c, int fd, uint64_t type_id) {
  memset(c, 0, sizeof *c);
  c->fd = fd;
  c->type_id = type_id;
  c->next_seq = 1;
}

static void set_timeout(int fd, int seconds) {
  struct timeval tv;
  tv.tv_sec = seconds;
  tv.tv_usec = 0;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int random_bytes(uint8_t *out, size_t n) {
  int fd = open("/dev/urandom", O_RDONLY);
  if (fd < 0) return -1;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, out + got, n - got);
    if (r <= 0) {
      close(fd);
      return -1;
    }
    got += (size_t)r;
  }
  close(fd);
  return 0;
}

/* ---- buffered I/O ---- */

static int flush_out(pc_conn *c) {
  size_t done = 0;
  while (done < c->out_len) {
    /* MSG_NOSIGNAL: a peer that went away is an error return, not SIGPIPE. */
    ssize_t w = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return failf(c, "write failed: %s", strerror(errno));
    done += (size_t)w;
  }
  c->out_len = 0;
  return 0;
}

/* Copies `n` bytes from the stream; 0, or -1 at end of stream / error / timeout. */
static int read_exact(pc_conn *c, void *dst, size_t n) {
  uint8_t *d = (uint8_t *)dst;
  while (n > 0) {
    if (c->in_pos == c->in_len) {
      ssize_t r = recv(c->fd, c->in, sizeof c->in, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) return failf(c, "peer closed the connection");
      if (r < 0) return failf(c, "read failed: %s", strerror(errno));
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

/* Appends one frame (header + body, no handle table) to the output buffer. */
static int put_frame(pc_conn *c, uint16_t kind, uint32_t route, uint64_t seq, uint64_t type_id,
                     const void *body, uint32_t length) {
  protochan_v1_FrameHeader h;
  memset(&h, 0, sizeof h);
  h.magic = PC_MAGIC;
  h.version = PC_VERSION;
  h.header_size = (uint16_t)sizeof h;
  h.kind = kind;
  h.flags = 0;
  h.body_length = length;
  h.route_id = route;
  h.handle_count = 0;
  h.seq = seq;
  h.type_id = type_id;
  if (c->out_len + sizeof h + length > sizeof c->out && flush_out(c) != 0) return -1;
  if (sizeof h + length > sizeof c->out) return failf(c, "frame of %u bytes does not fit the buffer", length);
  memcpy(c->out + c->out_len, &h, sizeof h);
  if (length > 0) memcpy(c->out + c->out_len + sizeof h, body, length);
  c->out_len += sizeof h + length;
  return 0;
}

/* Reads the next frame: checks the header before anything else (so nothing
 * is read or allocated for a bad one), then reads the body into c->body.
 * 0; -1 if the stream ended or failed; -2 if the peer broke the protocol
 * (the caller answers with ERROR). c->error says why. */
static int read_frame(pc_conn *c, protochan_v1_FrameHeader *h) {
  if (read_exact(c, h, sizeof *h) != 0) return -1;
  if (h->magic != PC_MAGIC) return failf(c, "bad magic 0x%08x", (unsigned)h->magic) - 1;
  if (h->version != PC_VERSION) return failf(c, "protocol version %u, expected %u", h->version, PC_VERSION) - 1;
  if (h->header_size != sizeof *h) return failf(c, "header size %u, expected %u", h->header_size, PC_HEADER) - 1;
  if (h->kind < PROTOCHAN_V1_FRAME_KIND_HELLO || h->kind > PROTOCHAN_V1_FRAME_KIND_NODE_INFO)
    return failf(c, "unknown frame kind %u", h->kind) - 1;
  if (h->handle_count != 0)
    return failf(c, "a frame with %u handles (this peer takes none)", (unsigned)h->handle_count) - 1;
  if ((uint64_t)h->body_length + sizeof *h > PC_MAX_FRAME)
    return failf(c, "frame of %u body bytes exceeds the maximum frame size %u", (unsigned)h->body_length, PC_MAX_FRAME) - 1;
  return read_exact(c, c->body, h->body_length);
}

/* After read_frame failed: tell the peer if it broke the protocol; close. */
static int read_failed(pc_conn *c, int r) {
  char why[PC_ERROR_MAX];
  memcpy(why, c->error, sizeof why);
  if (r == -2) {
    pc_fail(c, why);
  } else {
    close(c->fd);
    c->fd = -1;
  }
  memcpy(c->error, why, sizeof why);
  return -1;
}

/* An ERROR frame's reason, NUL-terminated, into c->error. */
static int peer_error(pc_conn *c, const protochan_v1_FrameHeader *h) {
  return failf(c, "peer reported an error: %.*s", (int)h->body_length, (const char *)c->body);
}

void pc_fail(pc_conn *c, const char *reason) {
  c->out_len = 0; /* drop whatever was queued: the ERROR goes out alone */
  size_t n = strlen(reason);
  if (n > 1024) n = 1024;
  if (put_frame(c, PROTOCHAN_V1_FRAME_KIND_ERROR, 0, 0, 0, reason, (uint32_t)n) == 0) flush_out(c);
  shutdown(c->fd, SHUT_WR);
  close(c->fd);
  c->fd = -1;
}

/* Half-closes, then reads what the peer still sends until its end of the
 * stream (so close() never drops unread data, which would reset the
 * connection under the peer's feet). CREDIT and GONE are no longer of use
 * then; an ERROR means the peer failed the connection: -1 with the reason. */
static int finish(pc_conn *c) {
  char before[PC_ERROR_MAX];
  memcpy(before, c->error, sizeof before);
  int result = 0;
  shutdown(c->fd, SHUT_WR);
  for (;;) {
    protochan_v1_FrameHeader h;
    if (read_frame(c, &h) != 0) break; /* the peer's end of stream */
    if (h.kind == PROTOCHAN_V1_FRAME_KIND_ERROR) {
      result = peer_error(c, &h); /* nothing follows an ERROR */
      break;
    }
  }
  close(c->fd);
  c->fd = -1;
  if (result == 0) memcpy(c->error, before, sizeof before);
  return result;
}

/* ---- client ---- */

static int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* "unix:<path>#<64 hex>" -> path and the 32 token bytes. */
static int parse_name(pc_conn *c, const char *name, struct sockaddr_un *addr, uint8_t token[32]) {
  const char *hash = strrchr(name, '#');
  if (strncmp(name, "unix:", 5) != 0 || hash == NULL || strlen(hash + 1) != 64)
    return failf(c, "not a unix protochan server name: %s", name);
  size_t path_len = (size_t)(hash - (name + 5));
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (path_len == 0 || path_len >= sizeof addr->sun_path) return failf(c, "socket path too long: %s", name);
  memcpy(addr->sun_path, name + 5, path_len);
  for (int i = 0; i < 32; i++) {
    int hi = hex_digit(hash[1 + 2 * i]), lo = hex_digit(hash[2 + 2 * i]);
    if (hi < 0 || lo < 0) return failf(c, "bad token in %s", name);
    token[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

int pc_connect(pc_conn *c, const char *name, uint64_t type_id, uint32_t window) {
  struct sockaddr_un addr;
  protochan_v1_Hello hello;
  memset(&hello, 0, sizeof hello);
  conn_init(c, -1, type_id);
  if (parse_name(c, name, &addr, hello.token) != 0) return -1;

  c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (c->fd < 0) return failf(c, "socket: %s", strerror(errno));
  set_timeout(c->fd, PC_READ_TIMEOUT_S);
  if (connect(c->fd, (const struct sockaddr *)&addr, sizeof addr) != 0) {
    failf(c, "connect %s: %s", addr.sun_path, strerror(errno));
    close(c->fd);
    return -1;
  }

  /* HELLO: who we are, which type the bootstrap channel carries, the token. */
  hello.version = PC_VERSION;
  hello.flags = 0;
  hello.bootstrap_type_id = type_id;
  if (random_bytes(hello.node_id, sizeof hello.node_id) != 0) {
    close(c->fd);
    return failf(c, "no random bytes");
  }
  hello.window = window;
  hello.max_frame_size = PC_MAX_FRAME;
  if (put_frame(c, PROTOCHAN_V1_FRAME_KIND_HELLO, 0, 0, 0, &hello, sizeof hello) != 0 || flush_out(c) != 0) return -1;

  /* The answer: WELCOME, or ERROR with the reason, then the server closes. */
  protochan_v1_FrameHeader h;
  int r = read_frame(c, &h);
  if (r != 0) return read_failed(c, r);
  if (h.kind == PROTOCHAN_V1_FRAME_KIND_ERROR) {
    peer_error(c, &h);
    finish(c);
    return -1;
  }
  if (h.kind != PROTOCHAN_V1_FRAME_KIND_WELCOME || h.body_length != sizeof(protochan_v1_Welcome)) {
    pc_fail(c, "expected WELCOME");
    return failf(c, "expected WELCOME, got frame kind %u", h.kind);
  }
  protochan_v1_Welcome welcome;
  memcpy(&welcome, c->body, sizeof welcome);
  if (welcome.version != PC_VERSION) {
    pc_fail(c, "unsupported protocol version");
    return failf(c, "server speaks protocol version %u", (unsigned)welcome.version);
  }
  c->route = welcome.bootstrap_route;
  c->send_window = welcome.initial_window;
  c->peer_max_frame = welcome.max_frame_size;
  return 0;
}

/* Handles a frame that arrives for the sending side: CREDIT, GONE or ERROR. */
static int on_sender_frame(pc_conn *c, const protochan_v1_FrameHeader *h) {
  switch (h->kind) {
    case PROTOCHAN_V1_FRAME_KIND_CREDIT:
      if (h->route_id != c->route || h->seq > c->outstanding) {
        pc_fail(c, "bad CREDIT");
        return failf(c, "CREDIT of %llu bytes on route %u, %llu outstanding", (unsigned long long)h->seq,
                     (unsigned)h->route_id, (unsigned long long)c->outstanding);
      }
      c->outstanding -= h->seq;
      return 0;
    case PROTOCHAN_V1_FRAME_KIND_GONE:
      /* The receiver closed: the route is over, and with it this connection. */
      c->receiver_gone = 1;
      finish(c);
      return failf(c, "the receiver is gone");
    case PROTOCHAN_V1_FRAME_KIND_ERROR:
      peer_error(c, h);
      close(c->fd);
      c->fd = -1;
      return -1;
    default:
      pc_fail(c, "unexpected frame kind");
      return failf(c, "unexpected frame kind %u on a sending connection", h->kind);
  }
}

int pc_send(pc_conn *c, const void *body, uint32_t length) {
  if (c->fd < 0) return failf(c, "%s", c->receiver_gone ? "the receiver is gone" : "the connection is closed");
  if ((uint64_t)length + PC_HEADER > c->peer_max_frame) return failf(c, "message exceeds the peer's maximum frame size");
  /* Flow control: send only while the outstanding cost is below the window
   * (the message that crosses it is allowed). Otherwise flush what is queued
   * and wait for CREDIT. */
  while (c->outstanding >= c->send_window) {
    protochan_v1_FrameHeader h;
    if (flush_out(c) != 0) return -1;
    int r = read_frame(c, &h);
    if (r != 0) return read_failed(c, r);
    if (on_sender_frame(c, &h) != 0) return -1;
  }
  if (put_frame(c, PROTOCHAN_V1_FRAME_KIND_MESSAGE, c->route, ++c->last_seq, c->type_id, body, length) != 0) return -1;
  c->outstanding += (uint64_t)length + PC_HEADER; /* a message costs its body + 40 */
  return 0;
}

int pc_close(pc_conn *c) {
  if (c->fd < 0) return -1;
  if (put_frame(c, PROTOCHAN_V1_FRAME_KIND_CLOSE, c->route, c->last_seq, 0, NULL, 0) != 0 || flush_out(c) != 0) {
    close(c->fd);
    c->fd = -1;
    return -1;
  }
  return finish(c);
}

/* ---- server ---- */

int pc_listen(pc_listener *l) {
  memset(l, 0, sizeof *l);
  l->fd = -1;
  strcpy(l->dir, "/tmp/protochan-c-XXXXXX");
  if (mkdtemp(l->dir) == NULL) return -1; /* mkdtemp creates it with mode 0700 */
  snprintf(l->path, sizeof l->path, "%s/s", l->dir);
  if (random_bytes(l->token, sizeof l->token) != 0) return -1;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, l->path, strlen(l->path));
  l->fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (l->fd < 0) return -1;
  if (bind(l->fd, (const struct sockaddr *)&addr, sizeof addr) != 0 || listen(l->fd, 16) != 0) return -1;
  int n = snprintf(l->name, sizeof l->name, "unix:%s#", l->path);
  for (int i = 0; i < 32; i++) n += snprintf(l->name + n, sizeof l->name - (size_t)n, "%02x", l->token[i]);
  return 0;
}

static void unlisten(pc_listener *l) {
  if (l->fd >= 0) close(l->fd);
  l->fd = -1;
  unlink(l->path);
  rmdir(l->dir);
}

/* Compares the whole token whatever differs, so timing tells nothing. */
static int tokens_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  uint8_t diff = 0;
  for (size_t i = 0; i < n; i++) diff |= (uint8_t)(a[i] ^ b[i]);
  return diff == 0;
}

/* Reads and checks a HELLO; NULL if it is acceptable, else the refusal reason. */
static const char *check_hello(pc_conn *c, const uint8_t token[32], uint64_t type_id) {
  protochan_v1_FrameHeader h;
  if (read_frame(c, &h) != 0) return "handshake refused: bad or missing HELLO";
  if (h.kind != PROTOCHAN_V1_FRAME_KIND_HELLO || h.body_length != sizeof(protochan_v1_Hello))
    return "handshake refused: expected HELLO";
  protochan_v1_Hello hello;
  memcpy(&hello, c->body, sizeof hello);
  if (hello.version != PC_VERSION) return "handshake refused: unsupported protocol version";
  if (!tokens_equal(hello.token, token, sizeof hello.token)) return "handshake refused: wrong token";
  if (hello.bootstrap_type_id != type_id) return "handshake refused: this server's channel carries another message type";
  c->peer_max_frame = hello.max_frame_size;
  return NULL;
}

int pc_accept(pc_listener *l, pc_conn *c, uint64_t type_id, uint32_t window,
              void (*on_refused)(const char *reason)) {
  for (;;) {
    struct timeval tv = {PC_READ_TIMEOUT_S, 0};
    setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); /* bounds accept() too */
    int fd = accept(l->fd, NULL, NULL);
    if (fd < 0 && errno == EINTR) continue;
    if (fd < 0) {
      unlisten(l);
      return -1;
    }
    conn_init(c, fd, type_id);
    set_timeout(fd, PC_HANDSHAKE_TIMEOUT_S);
    const char *refusal = check_hello(c, l->token, type_id);
    if (refusal != NULL) {
      if (on_refused != NULL) on_refused(refusal);
      pc_fail(c, refusal); /* ERROR + close; keep waiting for the right client */
      continue;
    }
    set_timeout(fd, PC_READ_TIMEOUT_S);
    protochan_v1_Welcome welcome;
    memset(&welcome, 0, sizeof welcome);
    welcome.version = PC_VERSION;
    welcome.max_frame_size = PC_MAX_FRAME;
    welcome.initial_window = window;
    welcome.bootstrap_route = 1;
    if (random_bytes(welcome.node_id, sizeof welcome.node_id) != 0) return -1;
    welcome.bootstrap_port = 0;
    c->route = welcome.bootstrap_route;
    c->recv_window = window;
    unlisten(l); /* one-shot: no further clients */
    if (put_frame(c, PROTOCHAN_V1_FRAME_KIND_WELCOME, 0, 0, 0, &welcome, sizeof welcome) != 0) return -1;
    return flush_out(c);
  }
}

static int send_credit(pc_conn *c) {
  if (c->pending_credit == 0) return 0;
  if (put_frame(c, PROTOCHAN_V1_FRAME_KIND_CREDIT, c->route, c->pending_credit, 0, NULL, 0) != 0) return -1;
  c->unconsumed -= c->pending_credit;
  c->pending_credit = 0;
  return flush_out(c);
}

int pc_recv(pc_conn *c, void *dst, size_t size) {
  for (;;) {
    protochan_v1_FrameHeader h;
    int r = read_frame(c, &h);
    if (r != 0) return read_failed(c, r);
    switch (h.kind) {
      case PROTOCHAN_V1_FRAME_KIND_MESSAGE: {
        const char *bad = NULL;
        if (h.route_id != c->route) bad = "MESSAGE on an unknown route";
        else if (h.type_id != c->type_id) bad = "MESSAGE of another message type";
        else if (h.seq != c->next_seq) bad = "MESSAGE out of sequence";
        else if (h.body_length < size) bad = "MESSAGE shorter than the packet";
        else if (c->unconsumed >= 2 * (uint64_t)c->recv_window) bad = "peer ignored flow control";
        if (bad != NULL) {
          failf(c, "%s (seq %llu)", bad, (unsigned long long)h.seq);
          pc_fail(c, bad);
          return -1;
        }
        c->next_seq++;
        /* A later layout_version may append fields: copy the part we know. */
        memcpy(dst, c->body, size);
        uint64_t charge = (uint64_t)h.body_length + PC_HEADER;
        c->unconsumed += charge;
        /* Consumed at once: return credit a quarter window at a time. */
        c->pending_credit += charge;
        if (c->pending_credit >= c->recv_window / 4 && send_credit(c) != 0) return -1;
        return 1;
      }
      case PROTOCHAN_V1_FRAME_KIND_CLOSE:
        if (h.route_id != c->route || h.seq != c->next_seq - 1) {
          failf(c, "CLOSE after message %llu but %llu arrived", (unsigned long long)h.seq,
                (unsigned long long)(c->next_seq - 1));
          pc_fail(c, "CLOSE with a wrong last sequence number");
          return -1;
        }
        finish(c);
        return 0;
      case PROTOCHAN_V1_FRAME_KIND_ERROR:
        peer_error(c, &h);
        close(c->fd);
        c->fd = -1;
        return -1;
      default:
        failf(c, "unexpected frame kind %u on a receiving connection", h.kind);
        pc_fail(c, "unexpected frame kind");
        return -1;
    }
  }
}
