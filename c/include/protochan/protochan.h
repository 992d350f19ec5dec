/*
 * protochan for C: the wire protocol of protochan (docs/wire-format.md) in
 * C11 + POSIX sockets, so a C or C++ program talks to TypeScript protochan
 * processes. docs/c-guide.md explains how to build with it and how it works.
 *
 * One connection carries one channel, the bootstrap route, in one direction:
 * the client (pc_connect) sends, the server (pc_listen + pc_accept) receives.
 * For traffic both ways use two connections. Channel ends inside messages
 * (handle tables) are parsed and checked, then refused with an ERROR frame:
 * this library does not route handles.
 *
 * Every function that can fail returns -1 (pc_recv: -1) and leaves the reason
 * in c->error and its kind in c->code. No global state: every call works on
 * the pc_conn or pc_listener it is given; a connection is used by one thread
 * at a time.
 */
#ifndef PROTOCHAN_PROTOCHAN_H
#define PROTOCHAN_PROTOCHAN_H

#include <stddef.h>
#include <stdint.h>

#include "protochan/v1/wire.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- wire constants (docs/wire-format.md) ---- */

#define PC_MAGIC 0x4E484350u        /* the bytes "PCHN", little-endian */
#define PC_PROTOCOL_VERSION 2u
#define PC_HEADER_SIZE 40u          /* sizeof(protochan_v1_FrameHeader) */
#define PC_HANDLE_ENTRY_SIZE 40u    /* sizeof(protochan_v1_HandleEntry) */
#define PC_TOKEN_SIZE 32u           /* a server name's secret, 64 hex digits */
#define PC_BOOTSTRAP_ROUTE 1u       /* the route of the channel a connection is made for */
#define PC_HANDLE_FLAG_GONE 1u      /* handle entry flag: a sender whose receiver is gone */

/* Type ids of protochan's own pseudo-types: FNV-1a 64 of the name. */
#define PC_TYPE_NAME_BYTES "protochan.bytes" /* bytes channels: the body is the bytes */
#define PC_TYPE_ID_BYTES UINT64_C(0x25F10C727835F6A0)
#define PC_TYPE_NAME_ANY "protochan.any"     /* untyped channels: msgpack bodies */
#define PC_TYPE_ID_ANY UINT64_C(0xBACB7FE137D7DC81)

/* ---- defaults of pc_options (a 0 field takes these) ---- */

#define PC_DEFAULT_MAX_FRAME_SIZE (1024u * 1024u) /* header + handle table + body */
#define PC_DEFAULT_WINDOW (8u * 1024u * 1024u)    /* as the TypeScript runtime */
#define PC_DEFAULT_MAX_HANDLES 64u
#define PC_DEFAULT_TIMEOUT_MS 30000u
#define PC_DEFAULT_HANDSHAKE_TIMEOUT_MS 10000u

#define PC_ERROR_SIZE 1280u /* c->error: "peer reported an error: " + a 1024-byte reason */
#define PC_NAME_SIZE 256u   /* a listener's name */
#define PC_OUT_BUFFER 65536u

/* What went wrong; pc_code_name() gives the stable name (the TypeScript
 * runtime's error code where there is one). */
typedef enum pc_code {
  PC_OK = 0,
  PC_CONNECTION_LOST,   /* the peer closed the connection or the socket failed */
  PC_PROTOCOL_ERROR,    /* the peer broke the protocol; it was sent ERROR with the reason */
  PC_FRAME_TOO_LARGE,   /* a frame above a maximum frame size (ours on receipt, the peer's on send) */
  PC_HANDLES_UNSUPPORTED, /* a message carried channel ends; refused with ERROR */
  PC_HANDSHAKE_REFUSED, /* the server refused us (its reason), or we refused a client */
  PC_PEER_ERROR,        /* the peer failed the connection with ERROR (its reason) */
  PC_RECEIVER_GONE,     /* the receiver closed the route (GONE) */
  PC_TIMEOUT,           /* a read, write or accept took longer than the timeout */
  PC_BAD_ADDRESS,       /* not a server name this library can reach */
  PC_ENDPOINT_CLOSED,   /* the connection is already closed */
  PC_USAGE,             /* a call that does not fit the connection (pc_send on a receiving one, ...) */
  PC_SYSTEM_ERROR       /* a local system call failed (socket, mkdtemp, malloc, ...) */
} pc_code;

const char *pc_code_name(pc_code code);

/* Limits and timeouts of a connection; pass NULL for all defaults. */
typedef struct pc_options {
  uint32_t max_frame_size;       /* largest frame we accept; announced to the peer */
  uint32_t window;               /* receive window we grant (bytes: body + 40 per message) */
  uint32_t max_handles;          /* most handle-table entries accepted in one frame */
  uint32_t timeout_ms;           /* every blocking read, write or accept gives up after this */
  uint32_t handshake_timeout_ms; /* server: a client must send HELLO within this */
} pc_options;

/* What a channel carries. The body kinds:
 *  - protobuf: the standard proto3 binary encoding of the message named by
 *    type_name (encode and decode it with any protobuf library);
 *  - bytes:    the bytes themselves (PC_TYPE_NAME_BYTES);
 *  - packet:   a C-layout struct from a generated header, raw; a body shorter
 *    than packet_size is a protocol error (a longer one comes from a later
 *    layout_version: read the first packet_size bytes).
 * Any other channel: fill the struct yourself (type_id = pc_type_id(name)). */
typedef struct pc_channel {
  uint64_t type_id;      /* the wire type id of the body's type */
  const char *type_name; /* for error messages; may be NULL */
  uint32_t packet_size;  /* packet channels: sizeof the struct; else 0 */
} pc_channel;

/* FNV-1a 64 of a full type name (UTF-8, NUL-terminated): the wire type id. */
uint64_t pc_type_id(const char *full_type_name);
pc_channel pc_protobuf_channel(const char *full_type_name);
pc_channel pc_bytes_channel(void);
pc_channel pc_packet_channel(uint64_t type_id, uint32_t packet_size);

/* One connection. Read c->code and c->error; the rest is the library's. */
typedef struct pc_conn {
  pc_code code;              /* why the last call failed */
  char error[PC_ERROR_SIZE]; /* the same in words; a peer's ERROR reason is copied here */
  int fd;                    /* -1 once the connection is closed */
  pc_channel channel;
  pc_options opts;           /* with the defaults filled in */
  uint32_t route;            /* the bootstrap route, from WELCOME */
  uint32_t peer_max_frame;   /* the peer's limit, from HELLO or WELCOME */
  int sending;               /* 1: client (sender), 0: server (receiver) */
  /* sender */
  uint64_t send_window;      /* from WELCOME.initial_window */
  uint64_t outstanding;      /* charged bytes sent and not yet credited */
  uint64_t last_seq;         /* seq of the last MESSAGE sent */
  /* receiver */
  uint64_t next_seq;         /* seq the next MESSAGE must carry */
  uint64_t unconsumed;       /* charged bytes received and not yet credited */
  uint64_t pending_credit;   /* consumed, to be returned in the next CREDIT */
  uint64_t delivered;        /* charge of the message last returned by pc_recv */
  /* buffers: input read ahead, frames waiting to be written, the last body */
  uint8_t *in;
  size_t in_pos, in_len;
  uint8_t *out;
  size_t out_len;
  uint8_t *body;             /* the last frame's handle table and body */
  size_t body_cap;
} pc_conn;

/* A one-shot server: a socket in a fresh 0700 directory, and a random token. */
typedef struct pc_listener {
  int fd;
  char dir[64];
  char path[108];
  uint8_t token[PC_TOKEN_SIZE];
  char name[PC_NAME_SIZE]; /* "unix:<path>#<64 hex digits>": give it to the client */
  char error[PC_ERROR_SIZE];
} pc_listener;

/* ---- client: the sending side ---- */

/* Connects to `name` ("unix:<path>#<token>" or "tcp:<host>:<port>#<token>"),
 * sends HELLO for `channel` and waits for WELCOME. On refusal c->code is
 * PC_HANDSHAKE_REFUSED and c->error holds the server's reason. */
int pc_connect(pc_conn *c, const char *name, pc_channel channel, const pc_options *opts);

/* The same handshake on a socket you connected yourself (the fd is then the
 * connection's: closed by the library). */
int pc_connect_fd(pc_conn *c, int fd, const uint8_t token[PC_TOKEN_SIZE], pc_channel channel,
                  const pc_options *opts);

/* Queues one MESSAGE, first waiting (flushing, reading CREDIT) while the
 * window is used up. A body above the peer's maximum frame size fails with
 * PC_FRAME_TOO_LARGE and leaves the connection open. */
int pc_send(pc_conn *c, const void *body, uint32_t length);

/* Writes whatever is queued (pc_send buffers up to 64 KiB). */
int pc_flush(pc_conn *c);

/* ---- server: the receiving side ---- */

/* Listens on a fresh Unix socket; l->name is what the client connects to. */
int pc_listen(pc_listener *l);

/* Accepts clients until one presents the right version, token and type;
 * each other one gets ERROR (its reason is passed to on_refused, which may be
 * NULL) and is closed. Then sends WELCOME and closes the listener (one-shot).
 * Gives up after opts->timeout_ms without a client (PC_TIMEOUT). */
int pc_accept(pc_listener *l, pc_conn *c, pc_channel channel, const pc_options *opts,
              void (*on_refused)(void *ctx, const char *reason), void *ctx);

/* Stops listening and removes the socket and its directory. */
void pc_listener_close(pc_listener *l);

/* The server handshake on one accepted socket (the fd is the connection's).
 * -1 with PC_HANDSHAKE_REFUSED if the client was refused (and told why). */
int pc_serve_fd(pc_conn *c, int fd, const uint8_t token[PC_TOKEN_SIZE], pc_channel channel,
                const pc_options *opts);

/* A received message; body stays valid until the next call on the connection. */
typedef struct pc_message {
  const uint8_t *body;
  uint32_t length;
  uint64_t seq;
} pc_message;

/* Waits for the next MESSAGE. 1: a message in *m; 0: the sender closed the
 * route (the connection is then closed); -1: failure. Returns CREDIT for
 * the messages consumed (a message is consumed when pc_recv is called again). */
int pc_recv(pc_conn *c, pc_message *m);

/* pc_recv for packet channels: copies the first `size` bytes of the body
 * (which must have at least that many) to dst. */
int pc_recv_packet(pc_conn *c, void *dst, size_t size);

/* ---- both ---- */

/* Ends the connection cleanly: a sender sends CLOSE (seq = last sent), a
 * receiver that has not seen CLOSE sends GONE; then half-closes and reads to
 * the peer's end of stream. -1 if the peer reported an error meanwhile.
 * Frees everything; calling it again is harmless. */
int pc_close(pc_conn *c);

/* Fails the connection: sends ERROR with `reason` (at most 1024 bytes are
 * sent) and closes. */
void pc_fail(pc_conn *c, const char *reason);

/* Closes at once, sending nothing (the peer sees its connection lost). */
void pc_abort(pc_conn *c);

/* ---- parsing, for programs that read frames themselves ---- */

/* Checks a received header against the limits, before anything else of the
 * frame is read: magic, version, header size, kind, handle count, size.
 * 0, or -1 with the reason (the text protochan sends in ERROR) in why. */
int pc_check_header(const protochan_v1_FrameHeader *h, uint32_t max_frame_size, uint32_t max_handles,
                    pc_code *code, char *why, size_t why_size);

/* Checks a handle table of `count` entries (table_size must be count * 40):
 * every entry's kind and flags. Fills out[0..count-1] if out is not NULL.
 * 0, or -1 with the reason in why. */
int pc_parse_handles(const uint8_t *table, size_t table_size, uint32_t count, protochan_v1_HandleEntry *out,
                     char *why, size_t why_size);

#ifdef __cplusplus
}
#endif

#endif /* PROTOCHAN_PROTOCHAN_H */
