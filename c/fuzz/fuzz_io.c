/* See fuzz_io.h. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_io.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const uint8_t fuzz_token[PC_TOKEN_SIZE] = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
};

pc_options fuzz_options(void) {
  pc_options o;
  memset(&o, 0, sizeof o);
  o.max_frame_size = 4096;
  o.window = 2048;
  o.max_handles = 4;
  o.timeout_ms = 2000; /* never needed: the stream always ends */
  o.handshake_timeout_ms = 2000;
  return o;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int fuzz_socket(const uint8_t *prefix, size_t prefix_size, const uint8_t *data, size_t size, int *other) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) abort();
  int big = 1 << 20;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  fcntl(sv[0], F_SETFL, O_NONBLOCK); /* a full buffer skips the input instead of hanging */
  int ok = write_all(sv[0], prefix, prefix_size) == 0 && write_all(sv[0], data, size) == 0;
  /* What was written stays readable, then the stream ends. */
  shutdown(sv[0], SHUT_WR);
  if (!ok) {
    close(sv[0]);
    close(sv[1]);
    return -1;
  }
  *other = sv[0];
  return sv[1];
}

protochan_v1_FrameHeader fuzz_header(uint16_t kind, uint32_t route, uint64_t seq, uint64_t type_id, uint32_t body_length) {
  protochan_v1_FrameHeader h;
  memset(&h, 0, sizeof h);
  h.magic = PC_MAGIC;
  h.version = PC_PROTOCOL_VERSION;
  h.header_size = PC_HEADER_SIZE;
  h.kind = kind;
  h.body_length = body_length;
  h.route_id = route;
  h.seq = seq;
  h.type_id = type_id;
  return h;
}

size_t fuzz_hello(uint8_t out[PC_HEADER_SIZE + sizeof(protochan_v1_Hello)]) {
  protochan_v1_Hello hello;
  memset(&hello, 0, sizeof hello);
  protochan_v1_FrameHeader h = fuzz_header(PROTOCHAN_V1_FRAME_KIND_HELLO, 0, 0, 0, sizeof hello);
  hello.version = PC_PROTOCOL_VERSION;
  hello.bootstrap_type_id = PC_TYPE_ID_BYTES;
  memcpy(hello.token, fuzz_token, sizeof hello.token);
  hello.window = 4096;
  hello.max_frame_size = 4096;
  memcpy(out, &h, sizeof h);
  memcpy(out + sizeof h, &hello, sizeof hello);
  return sizeof h + sizeof hello;
}

void fuzz_serve(const uint8_t *prefix, size_t prefix_size, const uint8_t *data, size_t size, pc_channel channel) {
  int other;
  int fd = fuzz_socket(prefix, prefix_size, data, size, &other);
  if (fd < 0) return;
  pc_options o = fuzz_options();
  pc_conn c;
  if (pc_serve_fd(&c, fd, fuzz_token, channel, &o) == 0) {
    pc_message m;
    while (pc_recv(&c, &m) == 1) {
      /* Touch every byte: a body that is not what its length says shows up here. */
      volatile uint8_t sum = 0;
      for (uint32_t i = 0; i < m.length; i++) sum ^= m.body[i];
      (void)sum;
    }
    pc_close(&c);
  }
  close(other);
}
