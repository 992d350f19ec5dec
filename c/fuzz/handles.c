/* Handle tables: parsed on their own, then inside a MESSAGE frame whose
 * header announces them, on a receiving connection after a valid handshake. */
#include <string.h>

#include "fuzz_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char why[256];
  protochan_v1_HandleEntry entries[8];
  uint32_t count = (uint32_t)(size / PC_HANDLE_ENTRY_SIZE);
  /* A table size that is not count * 40 must be refused, not read past. */
  pc_parse_handles(data, size, count, count <= 8 ? entries : NULL, why, sizeof why);
  pc_parse_handles(data, size, count + 1, NULL, why, sizeof why);

  /* The first byte says how many entries; the rest is table, then body. */
  uint32_t handles = size > 0 ? data[0] % 6 : 0;
  size_t rest = size > 0 ? size - 1 : 0;
  size_t table = (size_t)handles * PC_HANDLE_ENTRY_SIZE;
  uint8_t prefix[2 * PC_HEADER_SIZE + sizeof(protochan_v1_Hello)];
  size_t n = fuzz_hello(prefix);
  protochan_v1_FrameHeader h = fuzz_header(PROTOCHAN_V1_FRAME_KIND_MESSAGE, PC_BOOTSTRAP_ROUTE, 1, PC_TYPE_ID_BYTES,
                                           rest > table ? (uint32_t)(rest - table) : 0);
  h.handle_count = handles;
  memcpy(prefix + n, &h, sizeof h);
  fuzz_serve(prefix, n + sizeof h, size > 0 ? data + 1 : data, rest, pc_bytes_channel());
  return 0;
}
