/*
 * A minimal protochan wire-protocol peer in C11 + POSIX sockets, built on the
 * generated headers only (protochan/v1/wire.h for frames, the packet header
 * for bodies). One connection carries one channel, the bootstrap route:
 *
 *   client (pc_connect): HELLO -> WELCOME, then sends MESSAGEs (pc_send),
 *                        then CLOSE (pc_close);
 *   server (pc_listen + pc_accept): HELLO checked -> WELCOME, then receives
 *                        MESSAGEs (pc_recv) until CLOSE, returning CREDIT.
 *
 * No handles (handle_count is always 0), no OPEN/HANDOFF/REDIRECT routing.
 * docs/c-guide.md ("Speaking the wire protocol") walks through this code.
 */
#ifndef PCWIRE_H
#define PCWIRE_H

#include <stddef.h>
#include <stdint.h>
#include "protochan/v1/wire.h"

/* The largest frame this peer accepts (header + body): announced in HELLO/WELCOME. */
#define PC_MAX_FRAME 65536u
#define PC_IO_BUFFER 65536u
#define PC_ERROR_MAX 1200u

typedef struct pc_conn {
  int fd;
  uint64_t type_id;   /* the channel's message type (..._TYPE_ID) */
  uint32_t route;     /* the bootstrap route id, from WELCOME (1) */
  uint32_t peer_max_frame;
  /* Sending side (client): window from WELCOME.initial_window. */
  uint64_t send_window;
  uint64_t outstanding; /* charged bytes sent and not yet credited */
  uint64_t last_seq;    /* seq of the last MESSAGE sent */
  int receiver_gone;
  /* Receiving side (server): the window we announced in WELCOME. */
  uint32_t recv_window;
  uint64_t unconsumed;     /* charged bytes received and not yet credited */
  uint64_t pending_credit; /* consumed, to be returned in the next CREDIT */
  uint64_t next_seq;       /* seq the next MESSAGE must carry */
  /* Buffered I/O: frames are read from `in` and written to `out`. */
  uint8_t in[PC_IO_BUFFER];
  size_t in_pos, in_len;
  uint8_t out[PC_IO_BUFFER];
  size_t out_len;
  uint8_t body[PC_MAX_FRAME]; /* body of the last frame read */
  char error[PC_ERROR_MAX];   /* why the last call failed */
} pc_conn;

typedef struct pc_listener {
  int fd;
  char dir[64];
  char path[108];
  uint8_t token[32];
  char name[256]; /* "unix:<path>#<64 hex digits>" */
} pc_listener;

/* Connects to the server `name`, sends HELLO for `type_id`, waits for WELCOME.
 * `window` is the receive window we grant (routes toward us; unused here).
 * Returns 0, or -1 with c->error set (an ERROR frame's reason is copied there). */
int pc_connect(pc_conn *c, const char *name, uint64_t type_id, uint32_t window);

/* Sends one MESSAGE on the bootstrap route, waiting for CREDIT first while the
 * window is used up. Returns 0, or -1 (connection failed, receiver gone). */
int pc_send(pc_conn *c, const void *body, uint32_t length);

/* Sends CLOSE (seq = last MESSAGE seq), half-closes and waits for the peer's
 * end of the stream, then closes the socket. Returns 0 or -1. */
int pc_close(pc_conn *c);

/* A fresh private directory (0700) with a listening socket in it, and a random
 * token; l->name is what clients connect to. Returns 0 or -1. */
int pc_listen(pc_listener *l);

/* Accepts clients until one presents the right token, version and type id;
 * each refused one gets an ERROR frame, is closed and reported to on_refused.
 * Then sends WELCOME announcing `window` and removes the socket and its
 * directory (one-shot). Returns 0, or -1 on a listener failure or timeout. */
int pc_accept(pc_listener *l, pc_conn *c, uint64_t type_id, uint32_t window,
              void (*on_refused)(const char *reason));

/* Receives the next MESSAGE of at least `size` bytes and copies its first
 * `size` bytes to dst; returns CREDIT as messages are consumed.
 * Returns 1 for a message, 0 when the sender closed the route (CLOSE, after
 * which the connection is closed), -1 on failure (c->error says why). */
int pc_recv(pc_conn *c, void *dst, size_t size);

/* Sends ERROR with `reason` and closes the connection. */
void pc_fail(pc_conn *c, const char *reason);

#endif /* PCWIRE_H */
