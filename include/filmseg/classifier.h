/* classifier.h: the segment classifier, the study's network that assigns new
 * users to a segment in production. A dense feature row per user (built by the
 * caller: demographics + scaled ratings) goes through
 *
 *   x (n_in)
 *     -> pre1 = x W1 + b1        (hidden1)   -> h1 = relu(pre1)
 *     -> pre2 = h1 W2 + b2       (hidden2)   -> h2 = relu(pre2)
 *     -> logits = h2 W3 + b3     (k)         -> proba = softmax(logits)
 *
 * trained with mean categorical cross-entropy per mini-batch plus the penalty
 * l1 sum|p| + l2 sum p^2 over every weight and bias (the study's reg()), Adam
 * (PyTorch's formula), a per-epoch shuffle, ReduceLROnPlateau on the validation
 * loss (factor 0.1, relative threshold 1e-4, PyTorch's rule) and early stopping
 * that restores the weights of the best validation epoch. When the inputs are
 * mostly zeros (a user's ratings over every film) the first layer is sparse:
 * a mini-batch moves only the rows of W1 whose input is nonzero in one of its
 * rows (lazy Adam, their penalty included), so an epoch costs the number of
 * ratings x hidden1, not users x films x hidden1.
 *
 * Parameters live in one flat float buffer, in this order and layout (weights
 * are input-major, out = inp W + b, i.e. torch's Linear.weight transposed):
 *   w1 (n_in, hidden1)     row i = input i's weights to every unit
 *   b1 (hidden1)
 *   w2 (hidden1, hidden2)
 *   b2 (hidden2)
 *   w3 (hidden2, k)
 *   b3 (k)
 * Initialised like torch.nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the
 * weights and biases of each layer, drawn in the order above.
 *
 * Determinism: weights, split and shuffles come from seeded streams of the
 * options' seed; same seed and data -> bit-identical parameters and history on
 * the same machine.
 *
 * Errors: functions returning int return FS_OK, FS_ERROR (NULL pointers, sizes
 * or labels out of range, non-finite data or options, out of memory) or
 * FS_CANCELLED. On anything but FS_OK the output structs are left zeroed and
 * are safe to pass to their _free functions. */
#ifndef FILMSEG_CLASSIFIER_H
#define FILMSEG_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filmseg/progress.h"

typedef struct {
    int hidden1, hidden2; /* units of the two hidden layers (64, 64) */
    int epochs;           /* most passes over the training rows (50) */
    int batch;            /* rows per mini-batch (10) */
    int plateau_patience; /* epochs without validation gain before the learning
                             rate is cut 10x (5; PyTorch's patience) */
    int stop_patience;    /* epochs without validation gain before stopping (10);
                             0 = never stop early */
    float lr;             /* Adam's initial learning rate (1e-3) */
    float l1, l2;         /* penalty weights (1e-4, 1e-4) */
    double val_share;     /* share of each segment held out for validation (0.3),
                             in [0, 1); 0 = none: no early stop, no LR cut */
    uint64_t seed;        /* everything random derives from it (0) */
    bool portable;        /* tests: sparse inputs' first layer step by step even
                             where the fused vector step applies (the same bits) */
} ClassifierOptions;

void classifier_options_default(ClassifierOptions *opt);
/* Whether every option is in its range (classifier training refuses the others). */
bool classifier_options_valid(const ClassifierOptions *opt);

typedef struct {
    size_t n_in;
    int k, hidden1, hidden2;
    float *params; /* owned, (n_params), layout at the top */
    size_t n_params;
    float *w1, *b1, *w2, *b2, *w3, *b3; /* point into params */
} Classifier;

typedef struct {
    int epochs_run; /* epochs trained (<= options.epochs) */
    int best_epoch; /* 1-based epoch whose weights were kept (the last without
                       validation rows) */
    /* per epoch, (epochs_run) each, owned: */
    double *train_loss; /* mean cross-entropy over the epoch's mini-batches, as
                           the weights moved (the penalty is not included) */
    double *train_acc;  /* share of training rows right during the epoch */
    double *val_loss;   /* cross-entropy on the validation rows after the epoch */
    double *val_acc;    /* accuracy on the validation rows after the epoch */
    double *lr;         /* learning rate used during the epoch */
    /* at the end, with the kept weights, on the validation rows: */
    double val_accuracy; /* NAN when there are none */
    int k;
    int *confusion; /* (k, k): row = true segment, column = predicted */
    size_t n_train, n_val;
    uint32_t *val_rows; /* (n_val) the rows held out, ascending */
} ClassifierReport;

void classifier_report_free(ClassifierReport *report);

/* classifier_n_params = n_in h1 + h1 + h1 h2 + h2 + h2 k + k; 0 on overflow
 * or on a k out of 2..KMEANS_MAX_K (kmeans.h), which every function here
 * refuses. */
size_t classifier_n_params(size_t n_in, int k, int hidden1, int hidden2);
/* A fresh network with torch.nn.Linear's initialisation from the seed.
 * Returns FS_OK or FS_ERROR (*c is then zeroed). */
int classifier_init(Classifier *c, size_t n_in, int k, int hidden1, int hidden2, uint64_t seed);
/* A network from a saved parameter buffer (copied); n_params must match. */
int classifier_init_from(Classifier *c, size_t n_in, int k, int hidden1, int hidden2,
                         const float *params, size_t n_params);
void classifier_free(Classifier *c);

/* Trains a new network on x (n rows, n_in columns, row-major) with labels in
 * 0..k-1, filling *c (free with classifier_free) and *report (may be NULL; free
 * with classifier_report_free). The split is stratified: in each segment a
 * seeded round(val_share * size) rows are held out, leaving at least one for
 * training. After every epoch reports to progress (stage STAGE_CLASSIFIER, step =
 * epoch, steps = options.epochs, loss/val_loss = cross-entropy, metric /
 * val_metric = training / validation accuracy); the cancel flag is checked
 * after every mini-batch. Rows that are mostly zeros (ratings) are handled
 * sparsely. opt NULL = defaults. Returns FS_OK, FS_CANCELLED or FS_ERROR. */
int classifier_train(Classifier *c, const float *x, size_t n, size_t n_in, const int32_t *labels,
                     int k, const ClassifierOptions *opt, const Progress *progress,
                     ClassifierReport *report);

/* The same on sparse rows in CSR form: row r's nonzero inputs are
 * col/value[row_start[r] .. row_start[r+1]) (columns < n_in); every other
 * input is 0. For panels too large for a dense n x n_in matrix. */
int classifier_train_csr(Classifier *c, const size_t *row_start, const uint32_t *col,
                         const float *value, size_t n, size_t n_in, const int32_t *labels, int k,
                         const ClassifierOptions *opt, const Progress *progress,
                         ClassifierReport *report);

/* Segment probabilities of one row (n_in) in proba (k), in one forward
 * pass; returns the most probable segment (the first on a tie), or -1 on
 * NULL or when memory runs out (proba is then NaN). */
int classifier_predict_proba(const Classifier *c, const float *row, float *proba);
/* The most probable segment of one row alone (the same), -1 on NULL or when
 * memory runs out. */
int classifier_predict(const Classifier *c, const float *row);
/* Segments (n) and, when proba is not NULL, probabilities (n, k) of n rows.
 * Returns FS_OK or FS_ERROR. */
int classifier_predict_batch(const Classifier *c, const float *x, size_t n, int32_t *segments,
                             float *proba);
/* Mean cross-entropy and accuracy of n labelled rows; confusion (k, k) is
 * overwritten when not NULL. Returns FS_OK or FS_ERROR. */
int classifier_evaluate(const Classifier *c, const float *x, size_t n, const int32_t *labels,
                        double *loss, double *accuracy, int *confusion);
/* The training objective of one mini-batch of B rows (mean cross-entropy +
 * opt's l1/l2 penalty) and, when grads (n_params) is not NULL, its gradient
 * (overwritten). Returns NAN on bad arguments. */
double classifier_loss_and_grad(const Classifier *c, const float *x, size_t B,
                                const int32_t *labels, const ClassifierOptions *opt, float *grads);

/* ---- ReduceLROnPlateau (mode min, factor 0.1, threshold 1e-4 relative,
 * cooldown 0, min_lr 0, eps 1e-8), as PyTorch: an epoch is better when
 * loss < best (1 - 1e-4); after more than `patience` epochs in a row that are
 * not, lr becomes lr/10 (unless the change is <= 1e-8) and the count restarts. */
typedef struct {
    double lr, best;
    int patience, bad_epochs;
} LrPlateau;

void lr_plateau_init(LrPlateau *p, double lr, int patience);
/* Feeds one epoch's validation loss; returns true when the rate was cut. */
bool lr_plateau_step(LrPlateau *p, double val_loss);

/* ---- layers, exposed for the gradient tests (llm.c style: forward/backward
 * pairs; backward functions ACCUMULATE (+=) into dinp and parameter gradients) */

/* out (B,OC) = inp (B,C) w (C,OC) + b (OC) */
void clf_linear_forward(float *out, const float *inp, const float *w, const float *b, size_t B,
                        size_t C, size_t OC);
/* dinp (B,C) += dout w^T (skipped when dinp is NULL); dw (C,OC) += inp^T dout;
 * db (OC) += column sums of dout (B,OC). */
void clf_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                         const float *w, size_t B, size_t C, size_t OC);
/* The same first layer on sparse rows: with r = rows[b] (rows NULL: r = b),
 * row r's entries are col/value[row_start[r] .. row_start[r+1]);
 * out (B,OC) = b + sum value w[col].
 * Backward: dw[col] += value * dout[b], db += column sums of dout (no dinp). */
void clf_sparse_linear_forward(float *out, const size_t *row_start, const uint32_t *col,
                               const float *value, const uint32_t *rows, size_t B, const float *w,
                               const float *b, size_t OC);
void clf_sparse_linear_backward(float *dw, float *db, const float *dout, const size_t *row_start,
                                const uint32_t *col, const float *value, const uint32_t *rows,
                                size_t B, size_t OC);
/* out (n) = max(inp, 0); backward: dinp += dout * (out > 0). */
void clf_relu_forward(float *out, const float *inp, size_t n);
void clf_relu_backward(float *dinp, const float *out, const float *dout, size_t n);
/* probs (B,K) = softmax(logits (B,K)); returns the SUM over rows of
 * -log proba[label] (divide by B for the mean). correct (may be NULL) gets how
 * many rows have their label as argmax. */
double clf_softmax_xent_forward(float *probs, const float *logits, const int32_t *labels, size_t B,
                                size_t K, size_t *correct);
/* dlogits (B,K) += scale (probs - onehot(label)); scale = 1/B for the mean. */
void clf_softmax_xent_backward(float *dlogits, const float *probs, const int32_t *labels, size_t B,
                               size_t K, float scale);
/* l1 sum|p| + l2 sum p^2 over n parameters; backward OVERWRITES grads with
 * l1 sign(p) + 2 l2 p (sign(0) = 0, like torch): the first write of a step. */
double clf_penalty_forward(const float *params, size_t n, float l1, float l2);
void clf_penalty_backward(float *grads, const float *params, size_t n, float l1, float l2);

#endif
