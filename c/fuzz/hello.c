/* The server handshake: a client's first bytes (HELLO or anything else),
 * then, if it was let in, the rest of its stream. */
#include "fuzz_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_serve(NULL, 0, data, size, pc_bytes_channel());
  return 0;
}
