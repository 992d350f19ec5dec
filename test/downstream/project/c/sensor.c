/* A C sensor driver: fills shop.v1.Reading packets (the generated header's
 * struct) and sends them to the TypeScript host through protochan's C library.
 *
 *   sensor <server name> <count>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protochan/protochan.h"
#include "shop/v1/shop.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sensor <server name> <count>\n");
    return 2;
  }
  long count = strtol(argv[2], NULL, 10);
  pc_conn c;
  if (pc_connect(&c, argv[1], pc_packet_channel(shop_v1_Reading_TYPE_ID, shop_v1_Reading_SIZE), NULL) != 0) {
    fprintf(stderr, "sensor: connect: %s\n", c.error);
    return 1;
  }
  for (long i = 0; i < count; i++) {
    shop_v1_Reading r;
    memset(&r, 0, sizeof r); /* padding is zero on the wire */
    r.sensor = (uint32_t)(i % 4);
    r.value = (double)i * 0.5;
    const char *unit = i % 2 == 0 ? "celsius" : "kPa";
    r.unit_len = (uint32_t)strlen(unit);
    memcpy(r.unit, unit, r.unit_len);
    if (pc_send(&c, &r, sizeof r) != 0) {
      fprintf(stderr, "sensor: send: %s\n", c.error);
      return 1;
    }
  }
  if (pc_close(&c) != 0) {
    fprintf(stderr, "sensor: close: %s\n", c.error);
    return 1;
  }
  printf("sensor: sent %ld readings\n", count);
  return 0;
}
