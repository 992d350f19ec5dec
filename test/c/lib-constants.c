/*
 * Prints the C library's constants and a few type ids, one "name value" per
 * line, for test/c-lib/build.test.ts to compare with the TypeScript runtime.
 * Compiled as C11 and as C++17 (the header is for both), and linked against
 * libprotochan.a built by c/Makefile.
 */
#include <stdio.h>

#include "protochan/protochan.h"

static void id(const char *what, uint64_t v) { printf("%s %016llx\n", what, (unsigned long long)v); }

int main(int argc, char **argv) {
  id("PC_TYPE_ID_BYTES", PC_TYPE_ID_BYTES);
  id("PC_TYPE_ID_ANY", PC_TYPE_ID_ANY);
  id("pc_type_id(PC_TYPE_NAME_BYTES)", pc_type_id(PC_TYPE_NAME_BYTES));
  id("pc_type_id(PC_TYPE_NAME_ANY)", pc_type_id(PC_TYPE_NAME_ANY));
  for (int i = 1; i < argc; i++) id(argv[i], pc_type_id(argv[i]));
  printf("PC_MAGIC %08x\n", PC_MAGIC);
  printf("PC_PROTOCOL_VERSION %u\n", PC_PROTOCOL_VERSION);
  printf("PC_HEADER_SIZE %u\n", PC_HEADER_SIZE);
  printf("PC_HANDLE_ENTRY_SIZE %u\n", PC_HANDLE_ENTRY_SIZE);
  printf("PC_TOKEN_SIZE %u\n", PC_TOKEN_SIZE);
  printf("PC_BOOTSTRAP_ROUTE %u\n", PC_BOOTSTRAP_ROUTE);
  printf("pc_code_name(PC_PROTOCOL_ERROR) %s\n", pc_code_name(PC_PROTOCOL_ERROR));
  return 0;
}
