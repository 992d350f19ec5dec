/* Handle tables: parsed on their own, then inside a MESSAGE frame whose
 * header announces them, on a receiving connection after a valid handshake. */
#include <string.h>
#include <unistd.h>

#include "fuzz_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char why[256];
  protochan_v1_HandleEntry entries[8];
  uint32_t count = (uint32_t)(size / PC_HANDLE_ENTRY_SIZE);
  /* A table size that is not count * 40 must be refused, not read past. */
  pc_parse_handles(data, size, count, count <= 8 ? entries : NULL, why, sizeof why);
  pc_parse_handles(data, size, count + 1, NULL, why, sizeof why);

  uint8_t prefix[2 * PC_HEADER_SIZE + sizeof(protochan_v1_Hello)];
  size_t n = fuzz_hello(prefix);
  protochan_v1_FrameHeader h;
  memset(&h, 0, sizeof h);
  h.magic = PC_MAGIC;
  h.version = PC_PROTOCOL_VERSION;
  h.header_size = PC_HEADER_SIZE;
  h.kind = PROTOCHAN_V1_FRAME_KIND_MESSAGE;
  h.route_id = PC_BOOTSTRAP_ROUTE;
  h.seq = 1;
  h.type_id = PC_TYPE_ID_BYTES;
  /* The first byte says how many entries; the rest is table, then body. */
  h.handle_count = size > 0 ? data[0] % 6 : 0;
  uint64_t table = (uint64_t)h.handle_count * PC_HANDLE_ENTRY_SIZE;
  size_t rest = size > 0 ? size - 1 : 0;
  h.body_length = rest > table ? (uint32_t)(rest - table) : 0;
  memcpy(prefix + n, &h, sizeof h);
  int other;
  int fd = fuzz_socket(prefix, n + sizeof h, size > 0 ? data + 1 : data, rest, &other);
  if (fd < 0) return 0;
  pc_options o = fuzz_options();
  pc_conn c;
  if (pc_serve_fd(&c, fd, fuzz_token, pc_bytes_channel(), &o) == 0) fuzz_receive_all(&c);
  close(other);
  return 0;
}
