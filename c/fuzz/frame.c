/* The frame reader: after a valid handshake, any byte stream on a receiving
 * connection (headers, handle tables, bodies, CLOSE, ERROR, ...). */
#include "fuzz_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t hello[PC_HEADER_SIZE + sizeof(protochan_v1_Hello)];
  size_t n = fuzz_hello(hello);
  /* Half the inputs on a packet channel, which bounds bodies from below too. */
  pc_channel ch = size > 0 && (data[size - 1] & 1) ? pc_packet_channel(PC_TYPE_ID_BYTES, 8) : pc_bytes_channel();
  fuzz_serve(hello, n, data, size, ch);
  return 0;
}
