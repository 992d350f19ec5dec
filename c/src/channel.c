/* The channel on the bootstrap route: MESSAGE and CLOSE one way, CREDIT and
 * GONE the other, with the window enforced on both sides. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "internal.h"

/* Credit goes back in steps of a quarter window, at most 64 KiB, as the
 * TypeScript receiver does. */
#define CREDIT_STEP 65536u

uint64_t pc_type_id(const char *full_type_name) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (const unsigned char *p = (const unsigned char *)full_type_name; *p != 0; p++) {
    h ^= *p;
    h *= UINT64_C(0x100000001b3);
  }
  return h;
}

pc_channel pc_protobuf_channel(const char *full_type_name) {
  pc_channel ch;
  ch.type_id = pc_type_id(full_type_name);
  ch.type_name = full_type_name;
  ch.packet_size = 0;
  return ch;
}

pc_channel pc_bytes_channel(void) {
  pc_channel ch;
  ch.type_id = PC_TYPE_ID_BYTES;
  ch.type_name = PC_TYPE_NAME_BYTES;
  ch.packet_size = 0;
  return ch;
}

pc_channel pc_packet_channel(uint64_t type_id, uint32_t packet_size) {
  pc_channel ch;
  ch.type_id = type_id;
  ch.type_name = NULL;
  ch.packet_size = packet_size;
  return ch;
}

/* What a message costs against the window: its body plus a header. */
static uint64_t charge(uint32_t body_length) { return (uint64_t)body_length + PC_HEADER_SIZE; }

static int usable(pc_conn *c, int sending) {
  if (c->fd < 0) {
    /* c->error still says why it closed, if it did not close cleanly. */
    if (c->code == PC_OK) return pc__failf(c, PC_ENDPOINT_CLOSED, "the connection is closed");
    return -1;
  }
  if (c->sending != sending) {
    return pc__failf(c, PC_USAGE, sending ? "this connection receives: pc_send is for the client side"
                                          : "this connection sends: pc_recv is for the server side");
  }
  return 0;
}

/* ---- sender ---- */

/* A frame for the sending side: CREDIT, GONE or ERROR. */
static int on_sender_frame(pc_conn *c, const protochan_v1_FrameHeader *h) {
  switch (h->kind) {
    case PROTOCHAN_V1_FRAME_KIND_CREDIT:
      if (h->route_id != c->route) return pc__violation(c, PC_PROTOCOL_ERROR, "frame for unknown route %u", (unsigned)h->route_id);
      if (h->seq > c->outstanding) {
        return pc__violation(c, PC_PROTOCOL_ERROR, "route %u: CREDIT of %llu bytes, only %llu outstanding", (unsigned)c->route,
                             (unsigned long long)h->seq, (unsigned long long)c->outstanding);
      }
      c->outstanding -= h->seq;
      return 0;
    case PROTOCHAN_V1_FRAME_KIND_GONE: {
      if (h->route_id != c->route) return pc__violation(c, PC_PROTOCOL_ERROR, "frame for unknown route %u", (unsigned)h->route_id);
      /* The route is over, and with it this connection. */
      int lost = (h->flags & PROTOCHAN_V1_CLOSE_FLAG_LOST) != 0;
      if (pc__finish(c) != 0) return -1;
      return pc__failf(c, PC_RECEIVER_GONE, "receiver is gone: %s", lost ? "connection-lost" : "it was closed");
    }
    case PROTOCHAN_V1_FRAME_KIND_ERROR:
      return pc__peer_error(c, PC_PEER_ERROR, h);
    default:
      return pc__violation(c, PC_PROTOCOL_ERROR, "unexpected frame kind %u on a sending connection", (unsigned)h->kind);
  }
}

int pc_send(pc_conn *c, const void *body, uint32_t length) {
  if (usable(c, 1) != 0) return -1;
  if (charge(length) > c->peer_max_frame) {
    return pc__failf(c, PC_FRAME_TOO_LARGE, "message of %u bytes exceeds the peer's maximum frame size of %u bytes",
                     (unsigned)length, (unsigned)c->peer_max_frame);
  }
  /* Send while the outstanding cost is below the window (the message that
   * crosses it is allowed); otherwise wait for CREDIT. */
  while (c->outstanding >= c->send_window) {
    protochan_v1_FrameHeader h;
    int r = pc__read_frame(c, &h); /* flushes first: the receiver must see what it is to credit */
    if (r == 1) return pc__failf(c, PC_CONNECTION_LOST, "peer closed the connection with the route open");
    if (r != 0 || on_sender_frame(c, &h) != 0) return -1;
  }
  if (pc__put_frame(c, PROTOCHAN_V1_FRAME_KIND_MESSAGE, c->route, c->last_seq + 1, c->channel.type_id, 0, body, length) != 0) {
    return -1;
  }
  c->last_seq++;
  c->outstanding += charge(length);
  return 0;
}

/* ---- receiver ---- */

static int send_credit(pc_conn *c) {
  if (c->pending_credit == 0) return 0;
  if (pc__put_frame(c, PROTOCHAN_V1_FRAME_KIND_CREDIT, c->route, c->pending_credit, 0, 0, NULL, 0) != 0) return -1;
  c->unconsumed -= c->pending_credit;
  c->pending_credit = 0;
  return pc_flush(c); /* now: the sender may be waiting for it */
}

/* The message pc_recv returned last is consumed: its bytes are owed back. */
static int consumed(pc_conn *c) {
  c->pending_credit += c->delivered;
  c->delivered = 0;
  uint64_t step = c->opts.window / 4;
  if (step > CREDIT_STEP) step = CREDIT_STEP;
  if (step == 0) step = 1;
  return c->pending_credit >= step ? send_credit(c) : 0;
}

static int on_message(pc_conn *c, const protochan_v1_FrameHeader *h, pc_message *m) {
  char buf[32];
  if (h->route_id != c->route) return pc__violation(c, PC_PROTOCOL_ERROR, "frame for unknown route %u", (unsigned)h->route_id);
  if (h->type_id != c->channel.type_id) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "route %u carries %s but the peer sent another message type", (unsigned)c->route,
                         pc__type_text(&c->channel, buf, sizeof buf));
  }
  if (h->seq != c->next_seq) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "route %u: message %llu out of sequence (expected %llu)", (unsigned)c->route,
                         (unsigned long long)h->seq, (unsigned long long)c->next_seq);
  }
  /* Twice the window, as TypeScript: a proxy may forward a full window while its origin sends another. */
  if (c->unconsumed >= 2 * (uint64_t)c->opts.window) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "route %u: peer ignored flow control (%llu bytes unconsumed)", (unsigned)c->route,
                         (unsigned long long)c->unconsumed);
  }
  if (h->body_length < c->channel.packet_size) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "route %u: cannot decode %s: a packet of %u bytes, expected at least %u",
                         (unsigned)c->route, pc__type_text(&c->channel, buf, sizeof buf), (unsigned)h->body_length,
                         (unsigned)c->channel.packet_size);
  }
  c->next_seq++;
  c->unconsumed += charge(h->body_length);
  c->delivered = charge(h->body_length);
  m->body = c->body;
  m->length = h->body_length;
  m->seq = h->seq;
  return 1;
}

static int on_close(pc_conn *c, const protochan_v1_FrameHeader *h) {
  if (h->route_id != c->route) return pc__violation(c, PC_PROTOCOL_ERROR, "frame for unknown route %u", (unsigned)h->route_id);
  if (h->seq != c->next_seq - 1) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "route %u: closed after message %llu but %llu arrived", (unsigned)c->route,
                         (unsigned long long)h->seq, (unsigned long long)(c->next_seq - 1));
  }
  int lost = (h->flags & PROTOCHAN_V1_CLOSE_FLAG_LOST) != 0;
  c->route = 0; /* closed: pc_close owes no GONE */
  if (pc__finish(c) != 0) return -1;
  if (lost) return pc__failf(c, PC_CONNECTION_LOST, "channel disconnected: connection-lost (the sender was lost)");
  pc__failf(c, PC_ENDPOINT_CLOSED, "channel disconnected: all senders closed");
  return 0;
}

int pc_recv(pc_conn *c, pc_message *m) {
  if (usable(c, 0) != 0) return -1;
  memset(m, 0, sizeof *m);
  if (consumed(c) != 0) return -1;
  for (;;) {
    protochan_v1_FrameHeader h;
    int r = pc__read_frame(c, &h);
    if (r == 1) return pc__failf(c, PC_CONNECTION_LOST, "channel disconnected: connection-lost (peer closed the connection with the route open)");
    if (r != 0) return -1;
    switch (h.kind) {
      case PROTOCHAN_V1_FRAME_KIND_MESSAGE:
        return on_message(c, &h, m);
      case PROTOCHAN_V1_FRAME_KIND_CLOSE:
        return on_close(c, &h);
      case PROTOCHAN_V1_FRAME_KIND_ERROR:
        return pc__peer_error(c, PC_PEER_ERROR, &h);
      default:
        return pc__violation(c, PC_PROTOCOL_ERROR, "unexpected frame kind %u after the handshake", (unsigned)h.kind);
    }
  }
}

int pc_recv_packet(pc_conn *c, void *dst, size_t size) {
  pc_message m;
  int r = pc_recv(c, &m);
  if (r != 1) return r;
  if (m.length < size) {
    return pc__violation(c, PC_PROTOCOL_ERROR, "route %u: a packet of %u bytes, expected at least %zu", (unsigned)c->route,
                         (unsigned)m.length, size);
  }
  memcpy(dst, m.body, size); /* a later layout_version may append fields: the part we know */
  return 1;
}

/* ---- both ---- */

int pc_close(pc_conn *c) {
  if (c->fd < 0) return 0;
  int r;
  if (c->sending) {
    r = pc__put_frame(c, PROTOCHAN_V1_FRAME_KIND_CLOSE, c->route, c->last_seq, 0, 0, NULL, 0);
  } else {
    r = pc__put_frame(c, PROTOCHAN_V1_FRAME_KIND_GONE, c->route, 0, 0, 0, NULL, 0);
  }
  if (r != 0) return -1;
  return pc__finish(c);
}
