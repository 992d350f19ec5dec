/* How the test programs in test/c/ report to the test driving them. */
#ifndef TEST_C_SAY_H
#define TEST_C_SAY_H

#include <stdarg.h>
#include <stdio.h>

/* One line to the test, at once (stdout is a pipe, so fully buffered otherwise). */
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

#endif
