// The C side of the sample packets in test/c-layout/samples.ts. Built into
// the golden-fixture checker (golden.test.ts) and into a shared library that
// TypeScript loads with koffi (ffi.test.ts). Each check_* returns 0 when every
// field matches, or the line of the first check that failed.
#include <string.h>
#include "protochan/v1/packet.h"
#include "protochan/v1/wire.h"
#include "example/v1/packets.h"

#define CHECK(cond) do { if (!(cond)) return __LINE__; } while (0)

static int all_zero(const void *p, size_t n) {
  const uint8_t *b = (const uint8_t *)p;
  for (size_t i = 0; i < n; i++) if (b[i] != 0) return 0;
  return 1;
}

int check_frame_header(const protochan_v1_FrameHeader *h) {
  CHECK(h->magic == 0x4E484350u);
  CHECK(memcmp(&h->magic, "PCHN", 4) == 0);
  CHECK(h->version == 1);
  CHECK(h->header_size == sizeof(protochan_v1_FrameHeader));
  CHECK(h->kind == PROTOCHAN_V1_FRAME_KIND_MESSAGE);
  CHECK(h->flags == 0);
  CHECK(h->body_length == sizeof(example_v1_Sample));
  CHECK(h->route_id == 7);
  CHECK(h->handle_count == 1);
  CHECK(h->seq == 42);
  CHECK(h->type_id == example_v1_Sample_TYPE_ID);
  return 0;
}

int check_sample_a(const example_v1_Sample *s) {
  CHECK(s->id == UINT64_C(0x1122334455667788));
  CHECK(s->valid == 1);
  CHECK(s->offset == -5);
  CHECK(s->channel == 65535);
  CHECK(s->priority == EXAMPLE_V1_PRIORITY_HIGH);
  CHECK(s->level == EXAMPLE_V1_LEVEL_WARN);
  CHECK(s->temperature == 21.5);
  CHECK(s->delta == -123456);
  CHECK(s->name_len == 11); /* "sensor-1 ü": the ü is 2 UTF-8 bytes */
  CHECK(memcmp(s->name, "sensor-1 \xC3\xBC", 11) == 0);
  CHECK(all_zero(s->name + 11, example_v1_Sample_name_MAX_LENGTH - 11));
  CHECK(memcmp(s->mac, "\xDE\xAD\xBE\xEF\x00\x01", 6) == 0);
  CHECK(s->readings_count == 3);
  CHECK(s->readings[0] == 1 && s->readings[1] == -2 && s->readings[2] == 2147483647);
  CHECK(all_zero(&s->readings[3], 5 * sizeof(int32_t)));
  CHECK(s->weights[0] == 0.25f && s->weights[1] == 0.5f && s->weights[2] == 1.5f);
  CHECK(s->position.x == 1.5f && s->position.y == -2.5f);
  CHECK(s->path_count == 2);
  CHECK(s->path[0].x == 1 && s->path[0].y == 2 && s->path[1].x == 3 && s->path[1].y == 4);
  CHECK(all_zero(&s->path[2], 2 * sizeof(example_v1_Vec2)));
  CHECK(s->shape_case == example_v1_Sample_shape_CIRCLE);
  CHECK(s->shape.circle.center.x == 10 && s->shape.circle.center.y == 20);
  CHECK(s->shape.circle.radius == 2.75);
  CHECK(s->has_battery == 1 && s->battery == 99);
  CHECK(s->acks == 3);
  CHECK(s->timestamp_ns == -1000000000);
  CHECK(all_zero(s->_pad0, sizeof s->_pad0) && all_zero(s->_pad1, sizeof s->_pad1));
  CHECK(all_zero(s->_pad2, sizeof s->_pad2) && all_zero(s->_pad3, sizeof s->_pad3));
  return 0;
}

int check_sample_b(const example_v1_Sample *s) {
  CHECK(s->id == UINT64_MAX);
  CHECK(s->valid == 0);
  CHECK(s->offset == 127);
  CHECK(s->channel == 0);
  CHECK(s->priority == EXAMPLE_V1_PRIORITY_UNSPECIFIED);
  CHECK(s->level == EXAMPLE_V1_LEVEL_ERROR);
  CHECK(s->temperature == -0.125);
  CHECK(s->name_len == 0 && all_zero(s->name, sizeof s->name));
  CHECK(s->readings_count == 0 && s->path_count == 0);
  CHECK(s->shape_case == example_v1_Sample_shape_LABEL);
  CHECK(memcmp(s->shape.label, "hello label!", example_v1_Sample_label_LENGTH) == 0);
  CHECK(all_zero(&s->shape.label[12], sizeof s->shape - 12));
  CHECK(s->has_battery == 0 && s->battery == 0);
  CHECK(s->acks == PROTOCHAN_HANDLE_NONE);
  CHECK(s->timestamp_ns == 0);
  return 0;
}

int check_packet(const protochan_v1_Packet *p) {
  CHECK(p->timestamp_ns == UINT64_C(1700000000123456789));
  CHECK(p->original_length == 1514);
  CHECK(p->link_type == 1);
  CHECK(p->payload_len == 5);
  CHECK(memcmp(p->payload, "\x45\x00\x00\x1C\xFF", 5) == 0);
  CHECK(all_zero(p->payload + 5, protochan_v1_Packet_payload_MAX_LENGTH - 5));
  return 0;
}

/** Writes a Sample from C; ffi.test.ts reads it back through SampleView. */
void fill_sample(example_v1_Sample *s) {
  memset(s, 0, sizeof *s);
  s->id = 7;
  s->valid = 1;
  s->offset = -128;
  s->channel = 513;
  s->priority = EXAMPLE_V1_PRIORITY_LOW;
  s->level = EXAMPLE_V1_LEVEL_INFO;
  s->temperature = -40.0;
  s->delta = 99;
  s->name_len = 3;
  memcpy(s->name, "C99", 3);
  memcpy(s->mac, "\x01\x02\x03\x04\x05\x06", 6);
  s->readings_count = 2;
  s->readings[0] = -1;
  s->readings[1] = 65536;
  s->weights[0] = 1.0f;
  s->weights[1] = 2.0f;
  s->weights[2] = 4.0f;
  s->position.x = 0.5f;
  s->position.y = 0.75f;
  s->path_count = 1;
  s->path[0].x = -1.0f;
  s->path[0].y = -2.0f;
  s->shape_case = example_v1_Sample_shape_CODE;
  s->shape.code = 0xC0DEu;
  s->has_battery = 1;
  s->battery = 12;
  s->acks = PROTOCHAN_HANDLE_NONE;
  s->timestamp_ns = INT64_MIN;
}

size_t sample_size(void) { return sizeof(example_v1_Sample); }
