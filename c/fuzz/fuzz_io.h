/* What the fuzz targets share: a real socket fed with the fuzzer's bytes. */
#ifndef PROTOCHAN_FUZZ_IO_H
#define PROTOCHAN_FUZZ_IO_H

#include <stddef.h>
#include <stdint.h>

#include "protochan/protochan.h"

/* The token every target's server expects. */
extern const uint8_t fuzz_token[PC_TOKEN_SIZE];

/* Small limits, so the fuzzer reaches every bound with small inputs. */
pc_options fuzz_options(void);

/* One end of a socketpair from which the library reads `prefix` then `data`,
 * then the end of the stream. *other is the far end, which takes what the
 * library writes (never read) and is closed by the caller afterwards.
 * -1 if the bytes do not fit the socket buffer (the input is skipped). */
int fuzz_socket(const uint8_t *prefix, size_t prefix_size, const uint8_t *data, size_t size, int *other);

/* A frame header as a well-behaved peer writes it. */
protochan_v1_FrameHeader fuzz_header(uint16_t kind, uint32_t route, uint64_t seq, uint64_t type_id, uint32_t body_length);

/* A HELLO frame with fuzz_token for protochan.bytes, as a client sends it. */
size_t fuzz_hello(uint8_t out[PC_HEADER_SIZE + sizeof(protochan_v1_Hello)]);

/* Serves one connection that reads `prefix` then `data`: the server
 * handshake, then receiving until the end or a failure. */
void fuzz_serve(const uint8_t *prefix, size_t prefix_size, const uint8_t *data, size_t size, pc_channel channel);

#endif
