/* The server handshake: a client's first bytes (HELLO or anything else),
 * then, if it was let in, the rest of its stream. */
#include <unistd.h>

#include "fuzz_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int other;
  int fd = fuzz_socket(NULL, 0, data, size, &other);
  if (fd < 0) return 0;
  pc_options o = fuzz_options();
  pc_conn c;
  if (pc_serve_fd(&c, fd, fuzz_token, pc_bytes_channel(), &o) == 0) fuzz_receive_all(&c);
  close(other);
  return 0;
}
