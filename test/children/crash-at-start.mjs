// A worker program that dies at once: drives the crash-storm test.
process.exit(3);
