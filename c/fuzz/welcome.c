/* The client handshake: what a server answers (WELCOME, ERROR, anything),
 * then, if we got in, what it sends a sender (CREDIT, GONE, ERROR, ...)
 * while we send messages and close. */
#include <string.h>
#include <unistd.h>

#include "fuzz_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int other;
  int fd = fuzz_socket(NULL, 0, data, size, &other);
  if (fd < 0) return 0;
  pc_options o = fuzz_options();
  pc_conn c;
  if (pc_connect_fd(&c, fd, fuzz_token, pc_bytes_channel(), &o) == 0) {
    uint8_t body[300];
    memset(body, 0xab, sizeof body);
    /* Only a body above the peer's limit fails and leaves the connection open. */
    for (uint32_t i = 0; i < 64; i++) {
      if (pc_send(&c, body, (i * 37) % sizeof body) != 0 && c.code != PC_FRAME_TOO_LARGE) break;
    }
    pc_close(&c);
  }
  close(other);
  return 0;
}
