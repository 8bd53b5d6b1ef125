/* model.h: the model file (.fsm): one versioned binary file with everything
 * needed to describe the segments and score a new user: settings, the
 * training users and every k's labels and centroids, the film index and
 * rating scalers, the autoencoder, the demographic encoding and feature
 * scales, the classifier and the training histories.
 *
 * Layout (little-endian):
 *   0   magic "FILMSEG\x1a" (8 bytes)
 *   8   u32 format version (MODEL_VERSION)
 *   12  u32 0 (reserved)
 *   16  u64 payload length L
 *   24  payload, L bytes: the fields in the order model.c writes them
 *   24+L u64 FNV-1a 64 checksum of bytes 0 .. 24+L
 * Loading refuses a wrong magic, version, size or checksum, and any field
 * out of range, with a message naming the file and the problem. Saving
 * writes a temporary file in the same folder and renames it over the target,
 * so a model is never half-written. */
#ifndef FILMSEG_MODEL_H
#define FILMSEG_MODEL_H

#include "filmseg/atomic_file.h"
#include "filmseg/pipeline.h"

#include <stddef.h>
#include <stdint.h>

/* 2: the rated loss's encoder scales each user's input to unit length and its
 * second head is the likes head (a file of version 1 would be misread).
 * 3: the settings end with the recency of the embeddings' input (a version 2
 * file reads as recency 0, which is how its embeddings were made).
 * 4: the stability of every k and of each of its segments (the settings end
 * with its resamples, the sweep holds the figures) and the stability stage's
 * time; versions 2 and 3 read as not measured.
 * 5: the genre block of the features (settings end with its weight; each
 * film's genres follow the rating scalers; the feature scales hold the
 * block's width, means and scales); older files read as without it.
 * 6: after the timings, what the training panel's demographics were read
 * with (ages banded or not; the ZIP list's use, code count and name), for
 * score to compare; older files do not say.
 * 7: no field changed: ratings are read in half stars (a CSV release's 3.5
 * is 0.7 to the networks); older files saw a half star as the star above,
 * and score feeds them ratings so (Segmentation.half_stars_rounded).
 * 8: the payload ends with the training settings not kept before (the
 * autoencoder's unrated cells' share and weight, likes head's weight and
 * negatives, input dropout, weight decay and validation shares; the
 * classifier's batch, patience, learning rate, penalties and validation
 * share), so that a retrain from the file is the same run; older files read
 * them as the defaults, the likes head's weight as 0 where the autoencoder
 * has one head, and are saved again as version 7, without them (a model
 * seeing half stars rounded: as version 6). */
/* A change of format also means making again the model fuzz seeds
 * (tests/unit/test_fuzz_regressions.c says how) and tests/tui/demo-model.fsm
 * (tests/tui/run says how) with its screens and tests/cli/expected. */
#define MODEL_VERSION 8
/* The last version that saw half stars rounded up: a model of it, saved
 * again, says so still (the fields of version 7). */
#define MODEL_VERSION_HALF_STARS_ROUNDED 6
/* The last version without the other settings: a model of it, saved again,
 * is saved so (Segmentation.settings_unrecorded), not with the defaults it
 * was read with as though they were its own. */
#define MODEL_VERSION_SETTINGS_UNRECORDED 7
#define MODEL_OLDEST_VERSION 2

/* Returns 0, or -1 with the reason in error[]. */
int model_save(const Segmentation *seg, const char *path, char *error, size_t error_size);
/* The model written and synced into a temporary file for path, not yet in
 * place: atomic_file_commit(file) puts it there, atomic_file_discard drops
 * it (for a command writing several files all or none). 0, or -1 with the
 * reason in error[] (nothing left behind). */
int model_write_file(const Segmentation *seg, const char *path, AtomicFile *file, char *error,
                     size_t error_size);
int model_load(Segmentation *seg, const char *path, char *error, size_t error_size);
/* The same on memory buffers (model_encode returns a malloc'd buffer). */
int model_encode(const Segmentation *seg, uint8_t **buf, size_t *len);
int model_decode(Segmentation *seg, const uint8_t *buf, size_t len, const char *name, char *error,
                 size_t error_size);
uint64_t model_checksum(const uint8_t *buf, size_t len);

#endif
