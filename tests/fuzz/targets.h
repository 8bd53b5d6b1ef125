/* targets.h: one fuzz target per parser. Each takes arbitrary bytes and must
 * never crash, leak or read out of bounds. Built into libFuzzer binaries by
 * `make fuzz` (entry.c) and replayed on tests/fuzz/regressions by the unit
 * test test_fuzz_regressions.c. */
#ifndef FILMSEG_FUZZ_TARGETS_H
#define FILMSEG_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

int fuzz_ml100k(const uint8_t *data, size_t size);
int fuzz_ml1m(const uint8_t *data, size_t size);
int fuzz_mlcsv(const uint8_t *data, size_t size);
int fuzz_zips(const uint8_t *data, size_t size);
int fuzz_model(const uint8_t *data, size_t size);
/* Users and ratings to score, as `score` reads them (no sample rules). */
int fuzz_score(const uint8_t *data, size_t size);
/* The model file fuzz_model decodes: a header and checksum around payload
 * (malloc'd, *len bytes). */
uint8_t *fuzz_model_file(const uint8_t *payload, size_t size, size_t *len);

#endif
