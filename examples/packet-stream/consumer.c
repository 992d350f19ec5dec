/*
 * A C consumer of a protochan packet stream (docs/packet-streaming.md),
 * standalone: POSIX sockets and the generated headers, nothing else.
 *
 *   consumer <packet server name> [--check]
 *
 * 1. Listens on a fresh Unix socket of its own (the data server) under a
 *    random token.
 * 2. Dials the TypeScript PacketServer (the control channel, route 1) and
 *    sends one message: the stream hello with its data server's name.
 * 3. Accepts the producer's connection on the data server, checks its HELLO
 *    (token, type id) and answers WELCOME with its window and frame limit.
 * 4. Reads MESSAGE frames: OPEN, BATCH..., END, then CLOSE; returns CREDIT as
 *    it consumes; copies each packet into a protochan_v1_Packet.
 *
 * It prints "packets=N payload_bytes=M end=clean" and exits 0 on a clean
 * end; 2 on a protocol or decode error (after sending ERROR); 3 if the
 * producer went away before the end of stream. With --check, every packet
 * must be packet i of examples/packet-stream/producer.ts.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "protochan/v1/packet.h"
#include "protochan/v1/wire.h"

#define MAGIC 0x4E484350u       /* "PCHN" */
#define BATCH_MAGIC 0x42544B50u /* "PKTB" */
#define VERSION 1u
#define MAX_BATCH (256u * 1024u)          /* largest batch body we accept */
#define MAX_FRAME (MAX_BATCH + 40u)       /* announced in WELCOME */
#define WINDOW (4u * MAX_FRAME)           /* at most 4 batches in flight */
#define CONTROL_TYPE "protochan.packet_stream.control.protochan.v1.Packet"
#define DATA_TYPE "protochan.packet_stream.data.protochan.v1.Packet"

enum { KIND_OPEN = 1, KIND_BATCH = 2, KIND_END = 3 };
enum { LAYOUT_FIXED = 0, LAYOUT_TRIMMED = 1 };

/* FNV-1a 64 of the full type name: the wire type id. */
static uint64_t type_id(const char *name) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    h ^= *p;
    h *= UINT64_C(0x100000001b3);
  }
  return h;
}

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

static int send_all(int fd, const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* 0: n bytes read; 1: clean EOF before the first byte; -1: error or EOF midway. */
static int read_exact(int fd, void *buf, size_t n) {
  uint8_t *p = buf;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return got == 0 ? 1 : -1;
    got += (size_t)r;
  }
  return 0;
}

static int put_frame(int fd, uint16_t kind, uint32_t route, uint64_t seq, uint64_t tid, const void *body, uint32_t length) {
  protochan_v1_FrameHeader h;
  memset(&h, 0, sizeof h);
  h.magic = MAGIC;
  h.version = VERSION;
  h.header_size = (uint16_t)sizeof h;
  h.kind = kind;
  h.body_length = length;
  h.route_id = route;
  h.seq = seq;
  h.type_id = tid;
  if (send_all(fd, &h, sizeof h) != 0) return -1;
  return length == 0 ? 0 : send_all(fd, body, length);
}

/* Sends ERROR with the reason, reports it and exits 2. */
_Noreturn static void fail(int fd, const char *fmt, ...) {
  char reason[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  if (fd >= 0) put_frame(fd, PROTOCHAN_V1_FRAME_KIND_ERROR, 0, 0, 0, reason, (uint32_t)strlen(reason));
  fprintf(stderr, "consumer: %s\n", reason);
  exit(2);
}

/* Reads a header and checks it before anything else is read. 1 on EOF. */
static int read_header(int fd, protochan_v1_FrameHeader *h) {
  int r = read_exact(fd, h, sizeof *h);
  if (r != 0) return r;
  if (h->magic != MAGIC) fail(fd, "bad magic 0x%08x", (unsigned)h->magic);
  if (h->version != VERSION || h->header_size != sizeof *h) fail(fd, "unsupported frame version or header size");
  if (h->handle_count != 0) fail(fd, "a frame with %u handles (this peer takes none)", (unsigned)h->handle_count);
  if ((uint64_t)h->body_length + sizeof *h > MAX_FRAME) fail(fd, "frame of %u body bytes is too large", (unsigned)h->body_length);
  return 0;
}

static void random_bytes(uint8_t *out, size_t n) {
  int fd = open("/dev/urandom", O_RDONLY);
  if (fd < 0 || read_exact(fd, out, n) != 0) {
    fprintf(stderr, "consumer: cannot read /dev/urandom\n");
    exit(1);
  }
  close(fd);
}

static int unix_socket(const char *path, int listening) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) return -1;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (listening ? (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1) != 0)
                : connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static const char HEX[] = "0123456789abcdef";

static int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "unix:<path>#<64 hex>" → path and token. */
static int parse_name(const char *name, char *path, size_t path_size, uint8_t token[32]) {
  const char *hash = strrchr(name, '#');
  if (strncmp(name, "unix:", 5) != 0 || hash == NULL || strlen(hash + 1) != 64) return -1;
  size_t len = (size_t)(hash - (name + 5));
  if (len + 1 > path_size) return -1;
  memcpy(path, name + 5, len);
  path[len] = 0;
  for (int i = 0; i < 32; i++) {
    int hi = unhex(hash[1 + 2 * i]), lo = unhex(hash[2 + 2 * i]);
    if (hi < 0 || lo < 0) return -1;
    token[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

static protochan_v1_Packet packet; /* 65,560 bytes: one, reused */

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: consumer <packet server name> [--check]\n");
    return 1;
  }
  int check = argc > 2 && strcmp(argv[2], "--check") == 0;
  uint8_t node[16], token[32], server_token[32];
  random_bytes(node, sizeof node);
  random_bytes(token, sizeof token);

  /* 1. Our data server: a fresh 0700 directory, a socket in it. */
  char dir[] = "/tmp/pcstream-XXXXXX";
  if (mkdtemp(dir) == NULL) return perror("mkdtemp"), 1;
  char data_path[128];
  snprintf(data_path, sizeof data_path, "%s/s", dir);
  int listener = unix_socket(data_path, 1);
  if (listener < 0) return perror("listen"), 1;
  char data_name[256];
  int n = snprintf(data_name, sizeof data_name, "unix:%s#", data_path);
  for (int i = 0; i < 32; i++) {
    data_name[n++] = HEX[token[i] >> 4];
    data_name[n++] = HEX[token[i] & 15];
  }
  data_name[n] = 0;

  /* 2. The control channel: HELLO, WELCOME, one MESSAGE (the stream hello). */
  char server_path[108];
  if (parse_name(argv[1], server_path, sizeof server_path, server_token) != 0) {
    fprintf(stderr, "consumer: not a unix: server name: %s\n", argv[1]);
    return 1;
  }
  int control = unix_socket(server_path, 0);
  if (control < 0) return perror("connect"), 1;
  const uint64_t control_type = type_id(CONTROL_TYPE), data_type = type_id(DATA_TYPE);
  protochan_v1_Hello hello;
  memset(&hello, 0, sizeof hello);
  hello.version = VERSION;
  hello.bootstrap_type_id = control_type;
  memcpy(hello.token, server_token, 32);
  memcpy(hello.node_id, node, 16);
  hello.window = WINDOW;
  hello.max_frame_size = MAX_FRAME;
  if (put_frame(control, PROTOCHAN_V1_FRAME_KIND_HELLO, 0, 0, 0, &hello, sizeof hello) != 0) return perror("send"), 1;
  protochan_v1_FrameHeader h;
  static uint8_t body[MAX_FRAME];
  if (read_header(control, &h) != 0 || read_exact(control, body, h.body_length) != 0) {
    fprintf(stderr, "consumer: the packet server closed during the handshake\n");
    return 1;
  }
  if (h.kind == PROTOCHAN_V1_FRAME_KIND_ERROR) {
    fprintf(stderr, "consumer: refused: %.*s\n", (int)h.body_length, (const char *)body);
    return 1;
  }
  protochan_v1_Welcome welcome;
  if (h.kind != PROTOCHAN_V1_FRAME_KIND_WELCOME || h.body_length != sizeof welcome) fail(control, "expected WELCOME");
  memcpy(&welcome, body, sizeof welcome);
  uint8_t stream_hello[12 + sizeof data_name];
  uint32_t name_len = (uint32_t)strlen(data_name);
  wr32(stream_hello, 1);
  wr32(stream_hello + 4, MAX_BATCH);
  wr32(stream_hello + 8, name_len);
  memcpy(stream_hello + 12, data_name, name_len);
  if (put_frame(control, PROTOCHAN_V1_FRAME_KIND_MESSAGE, welcome.bootstrap_route, 1, control_type, stream_hello, 12 + name_len) != 0) {
    return perror("send"), 1;
  }

  /* 3. The producer connects to us: check its HELLO, answer WELCOME. */
  int data = accept(listener, NULL, NULL);
  if (data < 0) return perror("accept"), 1;
  close(listener);
  unlink(data_path);
  rmdir(dir);
  if (read_header(data, &h) != 0 || h.kind != PROTOCHAN_V1_FRAME_KIND_HELLO || h.body_length != sizeof hello) {
    fail(data, "handshake refused: expected HELLO");
  }
  if (read_exact(data, &hello, sizeof hello) != 0) fail(data, "handshake: HELLO cut off");
  uint8_t diff = 0;
  for (int i = 0; i < 32; i++) diff |= (uint8_t)(hello.token[i] ^ token[i]); /* constant time */
  if (hello.version != VERSION) fail(data, "handshake refused: protocol version %u", (unsigned)hello.version);
  if (diff != 0) fail(data, "handshake refused: wrong token");
  if (hello.bootstrap_type_id != data_type) fail(data, "handshake refused: this server's channel carries " DATA_TYPE);
  memset(&welcome, 0, sizeof welcome);
  welcome.version = VERSION;
  welcome.max_frame_size = MAX_FRAME;
  welcome.initial_window = WINDOW;
  welcome.bootstrap_route = 1;
  memcpy(welcome.node_id, node, 16);
  welcome.bootstrap_port = 1;
  if (put_frame(data, PROTOCHAN_V1_FRAME_KIND_WELCOME, 0, 0, 0, &welcome, sizeof welcome) != 0) return perror("send"), 1;

  /* The data channel is up: close the control channel properly (CLOSE after our one message). */
  put_frame(control, PROTOCHAN_V1_FRAME_KIND_CLOSE, 1, 1, 0, NULL, 0);
  close(control);

  /* 4. OPEN, BATCH..., END, CLOSE. */
  uint64_t next_seq = 1, packets = 0, payload_bytes = 0;
  uint32_t unreturned = 0;
  int opened = 0, ended = 0;
  for (;;) {
    int r = read_header(data, &h);
    if (r == 0 && read_exact(data, body, h.body_length) != 0) r = -1;
    if (r != 0) {
      fprintf(stderr, "consumer: the producer went away before the end of stream (%llu packets)\n", (unsigned long long)packets);
      return 3;
    }
    if (h.kind == PROTOCHAN_V1_FRAME_KIND_ERROR) {
      fprintf(stderr, "consumer: producer reported: %.*s\n", (int)h.body_length, (const char *)body);
      return 3;
    }
    if (h.kind == PROTOCHAN_V1_FRAME_KIND_CLOSE) {
      if (!ended) {
        fprintf(stderr, "consumer: the producer closed without the end of stream\n");
        return 3;
      }
      break;
    }
    if (h.kind != PROTOCHAN_V1_FRAME_KIND_MESSAGE || h.route_id != 1) fail(data, "unexpected frame kind %u", (unsigned)h.kind);
    if (h.seq != next_seq++) fail(data, "message %llu out of sequence", (unsigned long long)h.seq);
    if (h.type_id != data_type) fail(data, "message of another type");
    if (ended) fail(data, "message after the end of stream");

    /* The batch header. */
    if (h.body_length < 16 || rd32(body) != BATCH_MAGIC) fail(data, "corrupt packet batch: bad header");
    uint16_t kind = rd16(body + 4), layout = rd16(body + 6);
    uint32_t count = rd32(body + 8), struct_size = rd32(body + 12);
    if (struct_size < sizeof packet) fail(data, "corrupt packet batch: %u-byte packets", (unsigned)struct_size);
    if (kind == KIND_OPEN) {
      if (opened) fail(data, "corrupt packet batch: OPEN twice");
      opened = 1;
    } else if (kind == KIND_END) {
      ended = 1;
    } else if (kind == KIND_BATCH && opened) {
      size_t at = 16;
      for (uint32_t i = 0; i < count; i++) {
        uint32_t length;
        size_t advance;
        if (layout == LAYOUT_TRIMMED) {
          if (h.body_length - at < 8) fail(data, "corrupt packet batch: record %u cut off", (unsigned)i);
          length = rd32(body + at);
          at += 8;
          advance = ((size_t)length + 7) & ~(size_t)7;
        } else if (layout == LAYOUT_FIXED) {
          length = struct_size;
          advance = struct_size;
        } else {
          fail(data, "corrupt packet batch: layout %u", (unsigned)layout);
        }
        if (length > struct_size || advance > h.body_length - at) fail(data, "corrupt packet batch: record %u too long", (unsigned)i);
        size_t used = length < sizeof packet ? length : sizeof packet;
        if (used < offsetof(protochan_v1_Packet, payload)) fail(data, "corrupt packet batch: record %u too short", (unsigned)i);
        /* memcpy, never a cast: records sit at any alignment in our buffer. Only the bytes
           the record holds are copied; the rest of the struct is unused payload. */
        memcpy(&packet, body + at, used);
        if (packet.payload_len > protochan_v1_Packet_payload_MAX_LENGTH ||
            offsetof(protochan_v1_Packet, payload) + packet.payload_len > used) {
          fail(data, "corrupt packet batch: record %u: payload_len %u", (unsigned)i, (unsigned)packet.payload_len);
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
      if (at != h.body_length) fail(data, "corrupt packet batch: %u bytes after the last record", (unsigned)(h.body_length - at));
    } else {
      fail(data, "corrupt packet batch: kind %u", (unsigned)kind);
    }
    /* Consumed: return credit a quarter window at a time (body + 40 header bytes per message). */
    unreturned += h.body_length + 40;
    if (unreturned >= WINDOW / 4 || ended) {
      if (put_frame(data, PROTOCHAN_V1_FRAME_KIND_CREDIT, 1, unreturned, 0, NULL, 0) != 0) return 3;
      unreturned = 0;
    }
  }
  close(data);
  printf("packets=%llu payload_bytes=%llu end=clean\n", (unsigned long long)packets, (unsigned long long)payload_bytes);
  return 0;
}
