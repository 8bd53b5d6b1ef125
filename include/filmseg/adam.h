/* adam.h: the Adam optimiser (Kingma & Ba), with PyTorch's defaults and update
 * formula, over one flat float parameter buffer. A step is adam_begin_step()
 * followed by adam_update() on the ranges to move: the whole buffer for plain
 * Adam, or only the rows a mini-batch touched for "lazy" Adam on sparse
 * gradients (torch.optim.SparseAdam's rule: untouched entries keep their
 * moments and value). adam_step() is the dense case in one call. */
#ifndef FILMSEG_ADAM_H
#define FILMSEG_ADAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    float lr, beta1, beta2, eps; /* defaults 1e-3, 0.9, 0.999, 1e-8 */
    long t;                      /* steps begun so far */
    size_t n;                    /* parameters */
    float *m, *v;                /* first and second moments, (n) each */
    /* set by adam_begin_step from t: */
    float step_size; /* lr / (1 - beta1^t) */
    float sqrt_bc2;  /* sqrt(1 - beta2^t) */
} Adam;

/* Allocates zeroed moments for n parameters; lr <= 0 means the default.
 * Returns 0, or -1 when out of memory (a is then zeroed). */
int adam_init(Adam *a, size_t n, float lr);
void adam_free(Adam *a);

/* Starts step t+1: advances t and the bias corrections. */
void adam_begin_step(Adam *a);
/* Moves params[offset .. offset+count) along grads[same range] (grads NULL:
 * a zero gradient, so the moments decay and the momentum still moves p):
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)    (PyTorch's formula,
 * computed as lr sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps sqrt(1-b2^t))) */
void adam_update(Adam *a, float *params, const float *grads, size_t offset, size_t count);
/* adam_update with the range's gradients alone: grads[0 .. count) for
 * params[offset .. offset+count). */
void adam_update_range(Adam *a, float *params, const float *grads, size_t offset, size_t count);
/* adam_update on rows of a matrix stored from params[offset], rows of
 * row_len: rows[0 .. n_rows), in that order (lazy Adam's touched rows, in
 * one call instead of one per row). */
void adam_update_rows(Adam *a, float *params, const float *grads, size_t offset,
                      const uint32_t *rows, size_t n_rows, size_t row_len);

/* The current step's constants, for kernels that fuse Adam into their own
 * loops (the study decoder): m = b1 m + c1 g; v = b2 v + c2 g^2;
 * p -= step_sbc2 * m / (sqrt(v) + eps_sbc2), as adam_update does. */
typedef struct {
    float b1, b2, c1, c2, step_sbc2, eps_sbc2;
} AdamCoef;
AdamCoef adam_coef(const Adam *a);
/* Dense step over the whole buffer: begin + update(0, n). */
void adam_step(Adam *a, float *params, const float *grads);

#endif
