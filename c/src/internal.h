/* What the library's source files share; not part of the API. */
#ifndef PROTOCHAN_INTERNAL_H
#define PROTOCHAN_INTERNAL_H

#include "protochan/protochan.h"

#if defined(__GNUC__) || defined(__clang__)
#define PC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PC_PRINTF(f, a)
#endif

PROTOCHAN_STATIC_ASSERT(sizeof(protochan_v1_FrameHeader) == PC_HEADER_SIZE, "frame header size");
PROTOCHAN_STATIC_ASSERT(sizeof(protochan_v1_HandleEntry) == PC_HANDLE_ENTRY_SIZE, "handle entry size");
PROTOCHAN_STATIC_ASSERT(protochan_v1_Hello_token_LENGTH == PC_TOKEN_SIZE, "token size");

/* The most reason bytes an ERROR frame carries (as the TypeScript runtime). */
#define PC_REASON_MAX 1024u

/* error.c */
int pc__failf(pc_conn *c, pc_code code, const char *fmt, ...) PC_PRINTF(3, 4);
int pc__violation(pc_conn *c, pc_code code, const char *fmt, ...) PC_PRINTF(3, 4);
int pc__peer_error(pc_conn *c, pc_code code, const protochan_v1_FrameHeader *h);
void pc__format(char *dst, size_t size, const char *fmt, ...) PC_PRINTF(3, 4);
/* "example.v1.Ping", or "type 0x…" for a channel without a name. */
const char *pc__type_text(const pc_channel *ch, char *buf, size_t size);

/* frame.c */
int pc__init(pc_conn *c, int fd, pc_channel channel, const pc_options *opts, int sending);
void pc__release(pc_conn *c);
void pc__set_timeout(int fd, uint32_t ms);
int pc__random(uint8_t *out, size_t n);
int pc__put_frame(pc_conn *c, uint16_t kind, uint32_t route, uint64_t seq, uint64_t type_id, uint16_t flags,
                  const void *body, uint32_t length);
/* Reads the next frame, header checked first; the body is c->body[0..h->body_length).
 * 0: a frame; 1: the peer's clean end of stream; -1: failure. On 1 and -1
 * the connection is released, code and error set (and the peer told why if
 * it broke the protocol). */
int pc__read_frame(pc_conn *c, protochan_v1_FrameHeader *h);
/* Half-closes, reads to the peer's end of stream, releases. 0, or -1 if an
 * ERROR or a bad frame came meanwhile. */
int pc__finish(pc_conn *c);

#endif
