/* autoencoder.h: the rating autoencoder whose hidden layer gives each user's
 * embedding for clustering.
 *
 *   x (n_in, sparse: rating/5 on rated films, 0 elsewhere)
 *     -> pre = x W_enc + b_enc      (hidden)   sparse encoder: rated rows only
 *     -> h = relu(pre)              (hidden)   the embedding
 *     -> z = h W_dec^T + b_dec      (n_in)
 *     -> s = sigmoid(z)             (n_in)     the reconstruction
 *
 * Two losses: AE_LOSS_STUDY is the study's (mean |s - x| over every cell, rated
 * or not; dense decoder, plain Adam), AE_LOSS_RATED (default) is squared error
 * on rated cells (optionally plus a weighted sample of unrated cells pushed
 * towards 0) plus a second head that ranks the films a user liked first (see
 * implicit_weight), on input scaled to unit length per user, with input
 * dropout (denoising) and L2 weight decay. Unit length hides how high a user
 * rates, so RATED's rating head adds to z each user's mean offset from the
 * film means over their input ratings (a constant, taken at the sigmoid's
 * slope at the film's mean: the head starts from film mean plus user offset
 * and learns the rest; it needs the training users' film means, so it
 * predicts only while training and for the held-out error). Its decoders
 * runs only on those columns and its Adam is lazy (rows a batch touched), so an
 * epoch costs O(ratings x hidden), not O(users x films x hidden).
 *
 * Parameters live in one flat float buffer, in this order and layout:
 *   w_enc (n_in, hidden)  row j = film j's input weights (torch enc.weight^T)
 *   b_enc (hidden)
 *   w_dec (n_in, hidden)  row j = film j's output weights (torch dec.weight)
 *   b_dec (n_in)
 *   w_obs (n_in, hidden)  the likes head (RATED with implicit_weight > 0 only)
 *   b_obs (n_in)
 * Initialised like torch.nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
 * weights and biases (fan_in = n_in for the encoder, hidden for the decoder).
 * Same seed and data -> bit-identical parameters on the same machine. */
#ifndef FILMSEG_AUTOENCODER_H
#define FILMSEG_AUTOENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filmseg/progress.h"

/* A sparse matrix in CSR form: n_rows users x n_cols films. Row i's entries
 * are col[row_start[i] .. row_start[i+1]) with value[...] = rating/5 in (0,1].
 * Columns within a row need not be sorted but must not repeat (ae_train
 * sorts a copy when they are not). */
typedef struct {
    size_t n_rows, n_cols;
    const uint32_t *row_start; /* (n_rows + 1), row_start[0] == 0 */
    const uint32_t *col;       /* (nnz) */
    const float *value;        /* (nnz) */
} SparseRows;

/* The first index in [a, b) whose column is at least c (b when none): the
 * columns there in increasing order. */
static inline uint32_t sparse_first_at_least(const uint32_t *col, uint32_t a, uint32_t b, size_t c)
{
    while (a < b) {
        uint32_t mid = a + (b - a) / 2;
        if (col[mid] < c)
            a = mid + 1;
        else
            b = mid;
    }
    return a;
}

/* Row r's entries in the columns [from, to): indices *lo .. *hi of col and
 * value, found by bisection, so the row's columns must be in increasing
 * order, unless [from, to) takes in every column, which gives the whole row
 * as it is. */
static inline void sparse_row_range(const SparseRows *x, size_t r, size_t from, size_t to,
                                    uint32_t *lo, uint32_t *hi)
{
    uint32_t first = x->row_start[r], end = x->row_start[r + 1];
    *lo = from == 0 ? first : sparse_first_at_least(x->col, first, end, from);
    *hi = to >= x->n_cols ? end : sparse_first_at_least(x->col, *lo, end, to);
}

/* Whether an input value (rating / 5) is a like for the likes head: 3.5
 * stars or more, as panel.h has it (whole stars give 0.6 for 3, 0.8 for 4;
 * half stars 0.7 for 3.5). */
static inline bool ae_is_like(float value)
{
    return value >= 3.25f / 5.0f;
}

typedef enum { AE_LOSS_RATED = 0, AE_LOSS_STUDY = 1 } AeLoss;

typedef struct {
    int hidden;               /* hidden units (100) */
    int epochs;               /* passes over the training users (100) */
    int batch;                /* users per mini-batch (10) */
    float lr;                 /* Adam learning rate (1e-3); betas 0.9/0.999, eps 1e-8 */
    AeLoss loss;              /* AE_LOSS_RATED */
    float unrated_share;      /* RATED: unrated films sampled per rated film (0: none) */
    float unrated_weight;     /* RATED: weight of a sampled unrated cell's (s-0)^2 (0.1) */
    double val_share;         /* users held out for validation (0.2); 0 = none */
    uint64_t seed;            /* everything random derives from it (0) */
    float heldout_share;      /* share of a validation user's ratings hidden for the
                                 held-out error in stars (0.2, at least one) */
    float input_dropout;      /* RATED: share of a user's ratings dropped from the
                                 encoder's input each time (denoising), still in the
                                 loss (0.25); 0 = none */
    float weight_decay;       /* RATED: L2 penalty wd/2 |w|^2 on the weight rows a batch
                                 uses (added to their gradient) (1e-3); 0 = none */
    float implicit_weight;    /* RATED: weight of the second, "likes" head (10); 0 = one
                                 head. It ranks, with a softmax over each user's rated
                                 films and implicit_negatives sampled unrated ones per
                                 rating, the films the user liked (3.5 stars or more) first,
                                 so that the embedding carries what a user likes, not
                                 only how they rate (multinomial likelihood as in
                                 Liang et al.'s Mult-DAE, over a sample of films) */
    float implicit_negatives; /* RATED, two heads: sampled unrated films per rating (1) */
    int threads;              /* 1, or 2: STUDY splits each batch's dense work over two
                                 threads, RATED (two heads) runs the likes head on the
                                 second; 0: with two CPUs, time both ways over the
                                 first epochs and keep the faster. The result is the
                                 same either way */
} AeOptions;

void ae_options_default(AeOptions *opt);
/* Whether every option is in its range (ae_train refuses the others). */
bool ae_options_valid(const AeOptions *opt);

typedef struct {
    size_t n_in, hidden;
    int heads;       /* 1, or 2 with the likes head (w_obs, b_obs) */
    bool unit_input; /* the encoder scales each user's input to unit length (RATED;
                        the study's input is raw) */
    float *params;   /* owned, (n_params) */
    size_t n_params;
    float *w_enc, *b_enc, *w_dec, *b_dec; /* point into params, see top */
    float *w_obs, *b_obs;                 /* two heads only: (n_in, hidden), (n_in) */
} Autoencoder;

/* ae_n_params(n_in, hidden) = 2 n_in hidden + hidden + n_in; 0 on overflow.
 * With the likes head: (1 + heads) n_in hidden + hidden + heads n_in. */
size_t ae_n_params(size_t n_in, size_t hidden);
size_t ae_n_params_heads(size_t n_in, size_t hidden, int heads);
/* A fresh model with torch.nn.Linear's initialisation from the seed.
 * Returns FS_OK or FS_ERROR (bad sizes, out of memory; *ae is then zeroed). */
int ae_init(Autoencoder *ae, size_t n_in, size_t hidden, uint64_t seed);
int ae_init_heads(Autoencoder *ae, size_t n_in, size_t hidden, int heads, uint64_t seed);
/* A model from a saved parameter buffer (copied); n_params must match one or
 * two heads; unit_input as the trained model had it. */
int ae_init_from(Autoencoder *ae, size_t n_in, size_t hidden, const float *params, size_t n_params,
                 bool unit_input);
void ae_free(Autoencoder *ae);

typedef struct {
    int epochs_run;
    double *train_loss, *val_loss; /* (epochs_run) each, owned; val NAN if no val users */
    /* At the end, on the validation users (NAN when there are none): */
    double val_mae_cells;       /* study MAE: mean |s - x| over every cell (STUDY only, else NAN) */
    double val_mae_rated_stars; /* mean |s - x| * 5 over rated cells, nothing hidden */
    double heldout_mae_stars;   /* MAE in stars on a seeded hidden share of ratings */
    double heldout_baseline_stars; /* same cells predicted by the film mean over training
                                      users (the global mean for films with none) */
    size_t heldout_cells;
    size_t n_train, n_val;
} AeReport;

void ae_report_free(AeReport *report);

/* Trains a new model on x (n_cols films) and fills *ae (free with ae_free) and
 * *report (may be NULL; free with ae_report_free). Reports every epoch to
 * progress (stage STAGE_AUTOENCODER, step = epoch, loss, val_loss: for RATED the
 * mean squared error on rated cells, for STUDY the study MAE) and checks its
 * cancel flag every few batches. Returns FS_OK, FS_CANCELLED or FS_ERROR (bad
 * arguments or input, out of memory); on anything but FS_OK, *ae and *report
 * are left zeroed. */
int ae_train(Autoencoder *ae, const SparseRows *x, const AeOptions *opt, const Progress *progress,
             AeReport *report);

/* Embeddings: out (n_rows, hidden) = relu(x W_enc + b_enc) for every user.
 * x->n_cols must equal ae->n_in. Returns FS_OK or FS_ERROR. */
int ae_encode(const Autoencoder *ae, const SparseRows *x, float *out);
/* One user's embedding from its n rated films: out (hidden). */
int ae_encode_one(const Autoencoder *ae, size_t n, const uint32_t *col, const float *value,
                  float *out);

/* ---- layers, exposed for the gradient tests (llm.c style: forward/backward
 * pairs; backward functions ACCUMULATE (+=) into parameter gradients and dinp) */

/* pre (B,H) = b_enc + sum over row rows[b]'s entries of value * w_enc[col] (rows
 * NULL: rows 0..B-1), each value divided by the row's length when unit. w_enc
 * (N,H). */
void ae_encoder_forward(float *pre, const SparseRows *x, const uint32_t *rows, size_t B,
                        const float *w_enc, const float *b_enc, size_t H, bool unit);
/* dw_enc[col] += value * dpre[b] for each entry (value as the forward used
 * it); db_enc += sum_b dpre[b]. */
void ae_encoder_backward(float *dw_enc, float *db_enc, const float *dpre, const SparseRows *x,
                         const uint32_t *rows, size_t B, size_t H, bool unit);
void ae_relu_forward(float *out, const float *inp, size_t n);
/* dinp += dout * (out > 0) */
void ae_relu_backward(float *dinp, const float *out, const float *dout, size_t n);
/* Sparse decoder: out[k] = h[b] . w_dec[qcol[k]] + b_dec[qcol[k]] for k in
 * qstart[b] .. qstart[b+1]. */
void ae_sparse_decoder_forward(float *out, const float *h, const uint32_t *qstart,
                               const uint32_t *qcol, const float *w_dec, const float *b_dec,
                               size_t B, size_t H);
/* Its backward pass: dh[b] += dout[k] w_dec[qcol[k]], and (dw_dec not NULL)
 * dw_dec[qcol[k]] += dout[k] h[b], db_dec[qcol[k]] += dout[k]. Training
 * passes dw_dec NULL and sums the rows' gradients in lazy_rows.h. */
void ae_sparse_decoder_backward(float *dh, float *dw_dec, float *db_dec, const float *dout,
                                const float *h, const uint32_t *qstart, const uint32_t *qcol,
                                const float *w_dec, size_t B, size_t H);
void ae_sigmoid_forward(float *out, const float *inp, size_t n);
/* dinp += dout * out (1 - out) */
void ae_sigmoid_backward(float *dinp, const float *out, const float *dout, size_t n);
/* Rated loss on n listed cells: returns sum weight (s - target)^2 * scale;
 * backward: ds += 2 scale weight (s - target). */
double ae_sq_forward(const float *s, const float *target, const float *weight, size_t n,
                     float scale);
void ae_sq_backward(float *ds, const float *s, const float *target, const float *weight, size_t n,
                    float scale);
/* Likes head: for each user b, a softmax over its cells qstart[b] ..
 * qstart[b+1] (rated films and sampled unrated ones); returns scale times
 * -sum target log softmax(z); backward: dz += scale (softmax(z) sum(target)
 * - target), the sum over the user's cells. */
double ae_softmax_forward(const float *z, const float *target, const uint32_t *qstart, size_t B,
                          float scale);
void ae_softmax_backward(float *dz, const float *z, const float *target, const uint32_t *qstart,
                         size_t B, float scale);

#endif
