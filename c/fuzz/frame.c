/* The frame reader: after a valid handshake, any byte stream on a receiving
 * connection (headers, handle tables, bodies, CLOSE, ERROR, ...). */
#include <unistd.h>

#include "fuzz_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t hello[PC_HEADER_SIZE + sizeof(protochan_v1_Hello)];
  size_t n = fuzz_hello(hello);
  int other;
  int fd = fuzz_socket(hello, n, data, size, &other);
  if (fd < 0) return 0;
  pc_options o = fuzz_options();
  /* Half the inputs on a packet channel, which bounds bodies from below too. */
  pc_channel ch = size > 0 && (data[size - 1] & 1) ? pc_packet_channel(PC_TYPE_ID_BYTES, 8) : pc_bytes_channel();
  pc_conn c;
  if (pc_serve_fd(&c, fd, fuzz_token, ch, &o) == 0) fuzz_receive_all(&c);
  close(other);
  return 0;
}
