/* association.c: how much the segments follow the users' demographics; see
 * association.h. */
#include "filmseg/association.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* The classes a labelling uses, renumbered 0..n_classes-1 in class_of. */
typedef struct {
    int32_t class_of[ASSOCIATION_MAX_LABELS];
    size_t n_classes;
} Classes;

static void classes_add(Classes *c, int32_t label)
{
    if (c->class_of[label] < 0)
        c->class_of[label] = (int32_t)c->n_classes++;
}

static double entropy(const size_t *counts, size_t n_classes, size_t n)
{
    double h = 0;
    for (size_t i = 0; i < n_classes; i++)
        if (counts[i])
            h -= (double)counts[i] / n * log((double)counts[i] / n);
    return h;
}

/* One term of the expected mutual information: nij items in both classes
 * (of sizes ai and bj among n), weighted by its hypergeometric probability
 * exp(log_p). */
static double emi_term(size_t nij, size_t ai, size_t bj, size_t n, double log_p)
{
    return (double)nij / n * log((double)n * nij / ((double)ai * (double)bj)) * exp(log_p);
}

/* The mutual information two labellings with these class sizes share by
 * chance alone (its expectation over random labellings of the same sizes,
 * hypergeometric); log_fact[x] = log(x!) for x = 0..n. Each pair of classes
 * is summed outward from the most likely overlap until the probabilities
 * fall below 1e-22 (they only fall further: the hypergeometric has one
 * mode), which keeps 100,000 users quick and changes nothing at 1e-15. */
static double expected_mutual_info(const size_t *a, size_t ra, const size_t *b, size_t rb, size_t n,
                                   const double *log_fact)
{
    const double tiny = log(1e-22);
    double emi = 0;
    for (size_t i = 0; i < ra; i++)
        for (size_t j = 0; j < rb; j++) {
            size_t ai = a[i], bj = b[j];
            size_t lo = ai + bj > n ? ai + bj - n : 1, hi = ai < bj ? ai : bj;
            if (lo < 1)
                lo = 1;
            if (lo > hi)
                continue;
            double fixed =
                log_fact[ai] + log_fact[bj] + log_fact[n - ai] + log_fact[n - bj] - log_fact[n];
#define LOG_P(x)                                                                                   \
    (fixed - log_fact[x] - log_fact[ai - (x)] - log_fact[bj - (x)] - log_fact[n - ai - bj + (x)])
            size_t mode = (size_t)(((double)ai + 1) * ((double)bj + 1) / ((double)n + 2));
            mode = mode < lo ? lo : mode > hi ? hi : mode;
            for (size_t x = mode; x <= hi; x++) {
                double log_p = LOG_P(x);
                if (x > mode && log_p < tiny)
                    break;
                emi += emi_term(x, ai, bj, n, log_p);
            }
            for (size_t x = mode; x-- > lo;) {
                double log_p = LOG_P(x);
                if (log_p < tiny)
                    break;
                emi += emi_term(x, ai, bj, n, log_p);
            }
#undef LOG_P
        }
    return emi;
}

double adjusted_mutual_info(const int32_t *a, const int32_t *b, size_t n)
{
    Classes *ca = malloc(sizeof *ca), *cb = malloc(sizeof *cb);
    size_t m = 0; /* items labelled in both */
    double ami = NAN;
    if (!ca || !cb)
        goto done;
    for (size_t l = 0; l < ASSOCIATION_MAX_LABELS; l++)
        ca->class_of[l] = cb->class_of[l] = -1;
    ca->n_classes = cb->n_classes = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] < 0 || b[i] < 0)
            continue;
        if (a[i] >= ASSOCIATION_MAX_LABELS || b[i] >= ASSOCIATION_MAX_LABELS)
            goto done;
        classes_add(ca, a[i]);
        classes_add(cb, b[i]);
        m++;
    }
    if (m == 0)
        goto done;
    if (ca->n_classes == 1 && cb->n_classes == 1) {
        ami = 1.0; /* one class each: the same labelling */
        goto done;
    }
    size_t ra = ca->n_classes, rb = cb->n_classes;
    size_t *table = calloc(ra * rb + ra + rb, sizeof *table);
    double *log_fact = malloc((m + 1) * sizeof *log_fact);
    if (!table || !log_fact) {
        free(table);
        free(log_fact);
        goto done;
    }
    size_t *size_a = table + ra * rb, *size_b = size_a + ra;
    for (size_t i = 0; i < n; i++) {
        if (a[i] < 0 || b[i] < 0)
            continue;
        size_t x = (size_t)ca->class_of[a[i]], y = (size_t)cb->class_of[b[i]];
        table[x * rb + y]++;
        size_a[x]++;
        size_b[y]++;
    }
    log_fact[0] = 0;
    for (size_t x = 1; x <= m; x++)
        log_fact[x] = log_fact[x - 1] + log((double)x);
    double mi = 0;
    for (size_t x = 0; x < ra; x++)
        for (size_t y = 0; y < rb; y++) {
            size_t nxy = table[x * rb + y];
            if (nxy)
                mi += (double)nxy / m *
                      log((double)nxy * m / ((double)size_a[x] * (double)size_b[y]));
        }
    double emi = expected_mutual_info(size_a, ra, size_b, rb, m, log_fact);
    double mean_entropy = (entropy(size_a, ra, m) + entropy(size_b, rb, m)) / 2;
    double denominator = mean_entropy - emi;
    if (fabs(denominator) < DBL_EPSILON)
        denominator = denominator < 0 ? -DBL_EPSILON : DBL_EPSILON;
    ami = (mi - emi) / denominator;
    free(table);
    free(log_fact);
done:
    free(ca);
    free(cb);
    return ami;
}

const char *demographic_name(Demographic d)
{
    static const char *const NAMES[DEMOGRAPHIC_COUNT] = {"gender", "age band", "occupation",
                                                         "state"};
    return d >= 0 && d < DEMOGRAPHIC_COUNT ? NAMES[d] : "?";
}

static int32_t demographic_of(const PanelUser *user, Demographic d)
{
    switch (d) {
    case DEMOGRAPHIC_GENDER: return user->gender == 'M' ? 0 : user->gender == 'F' ? 1 : -1;
    case DEMOGRAPHIC_AGE: return user->age_band;
    case DEMOGRAPHIC_OCCUPATION: return user->occupation;
    default: return user->state;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

double segments_follow_activity(const Panel *panel, const int32_t *labels)
{
    size_t n = panel->n_users;
    if (n < 5)
        return NAN;
    uint32_t *counts = malloc(n * sizeof *counts), *sorted = malloc(n * sizeof *sorted);
    int32_t *quintile = malloc(n * sizeof *quintile);
    double ami = NAN;
    if (counts && sorted && quintile) {
        for (size_t u = 0; u < n; u++)
            counts[u] = sorted[u] = panel->user_start[u + 1] - panel->user_start[u];
        qsort(sorted, n, sizeof *sorted, cmp_u32);
        /* a user's quintile: how many of the 20/40/60/80% marks lie below
         * their count (ties fall together, on the lower side) */
        for (size_t u = 0; u < n; u++) {
            quintile[u] = 0;
            for (int q = 1; q < 5; q++)
                quintile[u] += counts[u] > sorted[n * (size_t)q / 5 - 1];
        }
        ami = adjusted_mutual_info(labels, quintile, n);
    }
    free(counts);
    free(sorted);
    free(quintile);
    return ami;
}

void segments_follow_demographics(const Panel *panel, const int32_t *labels, double *ami)
{
    for (int d = 0; d < DEMOGRAPHIC_COUNT; d++)
        ami[d] = NAN;
    if (!panel->has_demographics || panel->n_users == 0)
        return;
    int32_t *values = malloc(panel->n_users * sizeof *values);
    if (!values)
        return;
    for (int d = 0; d < DEMOGRAPHIC_COUNT; d++) {
        for (size_t u = 0; u < panel->n_users; u++)
            values[u] = demographic_of(&panel->users[u], (Demographic)d);
        ami[d] = adjusted_mutual_info(labels, values, panel->n_users);
    }
    free(values);
}
