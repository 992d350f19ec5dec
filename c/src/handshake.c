/* The handshake, both roles: a client dials a server name and sends HELLO;
 * a one-shot server listens in a fresh private directory, checks HELLO and
 * answers WELCOME or refuses with ERROR. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* ---- names ---- */

static int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* "<address>#<64 hex>": the address's length and the token. */
static int split_name(pc_conn *c, const char *name, size_t *address_len, uint8_t token[PC_TOKEN_SIZE]) {
  const char *hash = strrchr(name, '#');
  if (hash == NULL || strlen(hash + 1) != 2 * PC_TOKEN_SIZE) {
    return pc__failf(c, PC_BAD_ADDRESS, "not a protochan server name (expected \"<address>#<64 hex digits>\"): \"%s\"", name);
  }
  for (size_t i = 0; i < PC_TOKEN_SIZE; i++) {
    int hi = hex_digit(hash[1 + 2 * i]), lo = hex_digit(hash[2 + 2 * i]);
    if (hi < 0 || lo < 0) return pc__failf(c, PC_BAD_ADDRESS, "bad token in server name \"%s\"", name);
    token[i] = (uint8_t)(hi << 4 | lo);
  }
  *address_len = (size_t)(hash - name);
  return 0;
}

static int dial_unix(pc_conn *c, const char *path, size_t len) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (len == 0 || len >= sizeof addr.sun_path) return pc__failf(c, PC_BAD_ADDRESS, "bad unix socket path (empty or too long)");
  memcpy(addr.sun_path, path, len);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return pc__failf(c, PC_SYSTEM_ERROR, "socket: %s", strerror(errno));
  if (connect(fd, (const struct sockaddr *)&addr, sizeof addr) != 0) {
    pc__failf(c, PC_CONNECTION_LOST, "connect to %s: %s", addr.sun_path, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* "host:port", host possibly "[v6]", as the TypeScript tcp transport writes it. */
static int dial_tcp(pc_conn *c, const char *rest, size_t len) {
  char buf[300];
  if (len >= sizeof buf) return pc__failf(c, PC_BAD_ADDRESS, "tcp address too long");
  memcpy(buf, rest, len);
  buf[len] = 0;
  char *colon = strrchr(buf, ':');
  if (colon == NULL || colon[1] == 0) return pc__failf(c, PC_BAD_ADDRESS, "bad tcp address \"tcp:%s\" (expected tcp:host:port)", buf);
  *colon = 0;
  const char *port = colon + 1;
  const char *host = buf;
  if (host[0] == '[' && colon > buf + 1 && colon[-1] == ']') {
    colon[-1] = 0;
    host++;
  }
  if (host[0] == 0) host = "127.0.0.1";
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  int g = getaddrinfo(host, port, &hints, &res);
  if (g != 0) return pc__failf(c, PC_BAD_ADDRESS, "tcp address %s:%s: %s", host, port, gai_strerror(g));
  int fd = -1;
  for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      pc__failf(c, PC_CONNECTION_LOST, "connect to %s:%s: %s", host, port, strerror(errno));
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  return fd;
}

/* ---- client ---- */

int pc_connect(pc_conn *c, const char *name, pc_channel channel, const pc_options *opts) {
  uint8_t token[PC_TOKEN_SIZE];
  size_t len = 0;
  memset(c, 0, sizeof *c);
  c->fd = -1;
  if (split_name(c, name, &len, token) != 0) return -1;
  int fd;
  if (len >= 5 && strncmp(name, "unix:", 5) == 0) {
    fd = dial_unix(c, name + 5, len - 5);
  } else if (len >= 4 && strncmp(name, "tcp:", 4) == 0) {
    fd = dial_tcp(c, name + 4, len - 4);
  } else {
    return pc__failf(c, PC_BAD_ADDRESS, "cannot reach \"%.*s\": this library speaks unix: and tcp: addresses", (int)len, name);
  }
  if (fd < 0) return -1;
  return pc_connect_fd(c, fd, token, channel, opts);
}

int pc_connect_fd(pc_conn *c, int fd, const uint8_t token[PC_TOKEN_SIZE], pc_channel channel,
                  const pc_options *opts) {
  if (pc__init(c, fd, channel, opts, 1) != 0) return -1;
  protochan_v1_Hello hello;
  memset(&hello, 0, sizeof hello);
  hello.version = PC_PROTOCOL_VERSION;
  hello.bootstrap_type_id = channel.type_id;
  memcpy(hello.token, token, PC_TOKEN_SIZE);
  if (pc__random(hello.node_id, sizeof hello.node_id) != 0) {
    pc__release(c);
    return pc__failf(c, PC_SYSTEM_ERROR, "cannot read /dev/urandom");
  }
  hello.window = c->opts.window; /* for routes toward us: none here */
  hello.max_frame_size = c->opts.max_frame_size;
  if (pc__put_frame(c, PROTOCHAN_V1_FRAME_KIND_HELLO, 0, 0, 0, 0, &hello, sizeof hello) != 0) return -1;

  /* The answer: WELCOME, or ERROR with the reason (then the server closes). */
  protochan_v1_FrameHeader h;
  int r = pc__read_frame(c, &h);
  if (r == 1) return pc__failf(c, PC_HANDSHAKE_REFUSED, "server closed the connection during the handshake");
  if (r != 0) return -1;
  if (h.kind == PROTOCHAN_V1_FRAME_KIND_ERROR) return pc__peer_error(c, PC_HANDSHAKE_REFUSED, &h);
  if (h.kind != PROTOCHAN_V1_FRAME_KIND_WELCOME) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "expected WELCOME, got frame kind %u", (unsigned)h.kind);
  }
  if (h.body_length != sizeof(protochan_v1_Welcome)) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "bad WELCOME: %u bytes, expected %u", (unsigned)h.body_length,
                         (unsigned)sizeof(protochan_v1_Welcome));
  }
  protochan_v1_Welcome welcome;
  memcpy(&welcome, c->body, sizeof welcome);
  if (welcome.version != PC_PROTOCOL_VERSION) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "server speaks protocol version %u, expected %u", (unsigned)welcome.version,
                         PC_PROTOCOL_VERSION);
  }
  if (welcome.bootstrap_route == 0) return pc__violation(c, PC_PROTOCOL_ERROR, "bad WELCOME: bootstrap route 0");
  c->route = welcome.bootstrap_route;
  c->send_window = welcome.initial_window;
  c->peer_max_frame = welcome.max_frame_size;
  return 0;
}

/* ---- server ---- */

/* Compares every byte whatever differs, so timing tells nothing. */
static int tokens_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  uint8_t diff = 0;
  for (size_t i = 0; i < n; i++) diff |= (uint8_t)(a[i] ^ b[i]);
  return diff == 0;
}

/* Refuses the client: ERROR with the reason, close. */
#define REFUSE(...) (pc__violation(c, PC_HANDSHAKE_REFUSED, __VA_ARGS__))

int pc_serve_fd(pc_conn *c, int fd, const uint8_t token[PC_TOKEN_SIZE], pc_channel channel,
                const pc_options *opts) {
  if (pc__init(c, fd, channel, opts, 0) != 0) return -1;
  pc__set_timeout(fd, c->opts.handshake_timeout_ms);
  protochan_v1_FrameHeader h;
  int r = pc__read_frame(c, &h);
  if (r != 0) {
    if (r == 1) return pc__failf(c, PC_HANDSHAKE_REFUSED, "client left during the handshake");
    if (c->code == PC_TIMEOUT) {
      /* The socket is released; the client hears nothing, as it sent nothing in time. */
      return pc__failf(c, PC_HANDSHAKE_REFUSED, "handshake not completed within %u ms", (unsigned)c->opts.handshake_timeout_ms);
    }
    c->code = PC_HANDSHAKE_REFUSED; /* a bad frame: the client was told why */
    return -1;
  }
  if (h.kind != PROTOCHAN_V1_FRAME_KIND_HELLO) return REFUSE("handshake refused: expected HELLO, got frame kind %u", (unsigned)h.kind);
  if (h.body_length != sizeof(protochan_v1_Hello)) {
    return REFUSE("bad HELLO: %u bytes, expected %u", (unsigned)h.body_length, (unsigned)sizeof(protochan_v1_Hello));
  }
  protochan_v1_Hello hello;
  memcpy(&hello, c->body, sizeof hello);
  if (hello.version != PC_PROTOCOL_VERSION) {
    return REFUSE("handshake refused: protocol version %u, server speaks %u", (unsigned)hello.version, PC_PROTOCOL_VERSION);
  }
  if (!tokens_equal(hello.token, token, PC_TOKEN_SIZE)) return REFUSE("handshake refused: wrong token");
  if (hello.bootstrap_type_id != channel.type_id) {
    char buf[32];
    return REFUSE("handshake refused: this server's channel carries %s, the client's another type",
                  pc__type_text(&channel, buf, sizeof buf));
  }
  c->peer_max_frame = hello.max_frame_size;
  c->route = PC_BOOTSTRAP_ROUTE;
  pc__set_timeout(fd, c->opts.timeout_ms);

  protochan_v1_Welcome welcome;
  memset(&welcome, 0, sizeof welcome);
  welcome.version = PC_PROTOCOL_VERSION;
  welcome.max_frame_size = c->opts.max_frame_size;
  welcome.initial_window = c->opts.window;
  welcome.bootstrap_route = PC_BOOTSTRAP_ROUTE;
  if (pc__random(welcome.node_id, sizeof welcome.node_id) != 0) {
    pc__release(c);
    return pc__failf(c, PC_SYSTEM_ERROR, "cannot read /dev/urandom");
  }
  welcome.bootstrap_port = 0; /* only handle routing needs it */
  if (pc__put_frame(c, PROTOCHAN_V1_FRAME_KIND_WELCOME, 0, 0, 0, 0, &welcome, sizeof welcome) != 0) return -1;
  return pc_flush(c);
}

static int listen_failed(pc_listener *l, const char *what) {
  pc__format(l->error, sizeof l->error, "%s: %s", what, strerror(errno));
  pc_listener_close(l);
  return -1;
}

int pc_listen(pc_listener *l) {
  memset(l, 0, sizeof *l);
  l->fd = -1;
  const char *tmp = getenv("TMPDIR");
  if (tmp == NULL || tmp[0] == 0 || strlen(tmp) > 40) tmp = "/tmp";
  pc__format(l->dir, sizeof l->dir, "%s/protochan-c-XXXXXX", tmp);
  if (mkdtemp(l->dir) == NULL) { /* mode 0700: only we can reach the socket */
    l->dir[0] = 0;
    return listen_failed(l, "mkdtemp");
  }
  pc__format(l->path, sizeof l->path, "%s/s", l->dir);
  if (pc__random(l->token, sizeof l->token) != 0) return listen_failed(l, "/dev/urandom");
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, l->path, strlen(l->path));
  l->fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (l->fd < 0) return listen_failed(l, "socket");
  if (bind(l->fd, (const struct sockaddr *)&addr, sizeof addr) != 0) return listen_failed(l, "bind");
  if (listen(l->fd, 16) != 0) return listen_failed(l, "listen");
  int n = snprintf(l->name, sizeof l->name, "unix:%s#", l->path);
  for (size_t i = 0; i < PC_TOKEN_SIZE; i++) n += snprintf(l->name + n, sizeof l->name - (size_t)n, "%02x", l->token[i]);
  return 0;
}

void pc_listener_close(pc_listener *l) {
  if (l->fd >= 0) close(l->fd);
  l->fd = -1;
  if (l->path[0] != 0) unlink(l->path);
  if (l->dir[0] != 0) rmdir(l->dir);
  l->path[0] = l->dir[0] = 0;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pc_accept(pc_listener *l, pc_conn *c, pc_channel channel, const pc_options *opts,
              void (*on_refused)(void *ctx, const char *reason), void *ctx) {
  memset(c, 0, sizeof *c);
  c->fd = -1;
  if (l->fd < 0) return pc__failf(c, PC_ENDPOINT_CLOSED, "the listener is closed");
  uint32_t timeout = opts != NULL && opts->timeout_ms != 0 ? opts->timeout_ms : PC_DEFAULT_TIMEOUT_MS;
  int64_t deadline = now_ms() + timeout;
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) return pc__failf(c, PC_TIMEOUT, "no client within %u ms", (unsigned)timeout);
    struct pollfd p = {l->fd, POLLIN, 0};
    int ready = poll(&p, 1, (int)left);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return pc__failf(c, PC_SYSTEM_ERROR, "poll: %s", strerror(errno));
    if (ready == 0) continue;
    int fd = accept(l->fd, NULL, NULL);
    if (fd < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)) continue;
    if (fd < 0) return pc__failf(c, PC_SYSTEM_ERROR, "accept: %s", strerror(errno));
    if (pc_serve_fd(c, fd, l->token, channel, opts) == 0) {
      pc_listener_close(l); /* one-shot: no further clients */
      return 0;
    }
    if (c->code != PC_HANDSHAKE_REFUSED) return -1;
    if (on_refused != NULL) on_refused(ctx, c->error);
  }
}
